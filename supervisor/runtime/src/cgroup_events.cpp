#include "moltbot/runtime/cgroup_events.h"

#include <sys/inotify.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace moltbot::runtime {

std::variant<std::unique_ptr<CgroupEvents>, std::string> CgroupEvents::open(boost::asio::io_context& io) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return fmt::format("inotify_init1: {}", std::strerror(errno));
  return std::unique_ptr<CgroupEvents>(new CgroupEvents(io, fd));
}

CgroupEvents::CgroupEvents(boost::asio::io_context& io, int inotify_fd) : inotify_(io, inotify_fd) { do_read(); }

std::variant<int, std::string> CgroupEvents::watch(const std::filesystem::path& cgroup, std::function<void()> changed) {
  const auto events = cgroup / "cgroup.events";
  const int watch = ::inotify_add_watch(inotify_.native_handle(), events.c_str(), IN_MODIFY);
  if (watch < 0) return fmt::format("cannot watch {}: {}", events.string(), std::strerror(errno));
  handlers_[watch] = std::move(changed);
  return watch;
}

void CgroupEvents::unwatch(int watch) {
  if (handlers_.erase(watch) == 0) return;
  // Fails harmlessly when the cgroup was removed first (the kernel dropped the watch then).
  ::inotify_rm_watch(inotify_.native_handle(), watch);
}

void CgroupEvents::do_read() {
  inotify_.async_read_some(boost::asio::buffer(buffer_), [this](const boost::system::error_code& error, std::size_t n) {
    if (error == boost::asio::error::operation_aborted) return;
    // Handlers may unwatch (theirs or others): collect the watches first, run them after.
    std::vector<int> changed;
    for (std::size_t offset = 0; !error && offset + sizeof(inotify_event) <= n;) {
      inotify_event event;
      std::memcpy(&event, buffer_.data() + offset, sizeof event);
      if (event.mask & IN_MODIFY) changed.push_back(event.wd);
      offset += sizeof(inotify_event) + event.len;
    }
    for (int watch : changed)
      if (auto handler = handlers_.find(watch); handler != handlers_.end()) {
        auto run = handler->second;  // a copy: the handler may unwatch itself
        run();
      }
    if (!error || error == boost::asio::error::would_block || error == boost::asio::error::interrupted) do_read();
  });
}

}  // namespace moltbot::runtime
