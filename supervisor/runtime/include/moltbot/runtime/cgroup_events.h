#pragma once
// Says when cgroups change (a cgroup becoming empty above all): inotify on their `cgroup.events`
// files, read on the event loop. One inotify descriptor serves the whole fleet (an inotify
// instance per profile would run into max_user_instances, 128 by default).
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>

namespace moltbot::runtime {

class CgroupEvents {
 public:
  // The watcher, or why there is none (no inotify descriptor to be had).
  static std::variant<std::unique_ptr<CgroupEvents>, std::string> open(boost::asio::io_context& io);
  CgroupEvents(const CgroupEvents&) = delete;
  CgroupEvents& operator=(const CgroupEvents&) = delete;

  // `changed` runs from the event loop after each change of the cgroup's `cgroup.events`
  // (populated, frozen). Returns the watch, to pass to unwatch(), or why there is none.
  std::variant<int, std::string> watch(const std::filesystem::path& cgroup, std::function<void()> changed);
  // Before the cgroup is removed: the kernel would drop the watch then, and could hand its
  // number to the next watch, which a late unwatch() would end.
  void unwatch(int watch);

 private:
  CgroupEvents(boost::asio::io_context& io, int inotify_fd);
  void do_read();

  boost::asio::posix::stream_descriptor inotify_;
  std::unordered_map<int, std::function<void()>> handlers_;
  alignas(8) std::array<char, 4096> buffer_{};
};

}  // namespace moltbot::runtime
