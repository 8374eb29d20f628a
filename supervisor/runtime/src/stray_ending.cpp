#include "moltbot/runtime/stray_ending.h"

#include <signal.h>

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <vector>

#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

namespace asio = boost::asio;

namespace {

class StrayEnding : public std::enable_shared_from_this<StrayEnding> {
 public:
  StrayEnding(asio::io_context& io, std::function<void()> done) : io_(io), timer_(io), done_(std::move(done)) {}

  void start(std::chrono::milliseconds patience) {
    for (pid_t pid : own_children()) {
      // Our child, not reaped yet (the Reaper runs on this same loop): the pid is still it.
      auto handle = Pidfd::open(pid);
      if (!handle) continue;  // exited and reaped meanwhile
      handle->signal(SIGKILL);
      auto& exit =
          exits_.emplace_back(std::make_unique<Exit>(pid, asio::posix::stream_descriptor(io_, handle->release())));
      exit->pidfd.async_wait(asio::posix::stream_descriptor::wait_read,
                             [self = shared_from_this(), raw = exit.get()](const boost::system::error_code& error) {
                               if (error) return;  // cancelled at the deadline
                               raw->ended = true;
                               self->finish_when_all_ended();
                             });
    }
    timer_.expires_after(patience);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (!error) self->give_up();
    });
    finish_when_all_ended();
  }

 private:
  struct Exit {
    Exit(pid_t pid, asio::posix::stream_descriptor pidfd) : pid(pid), pidfd(std::move(pidfd)) {}
    pid_t pid;
    asio::posix::stream_descriptor pidfd;  // readable once the process has exited
    bool ended = false;
  };

  void finish_when_all_ended() {
    for (const auto& exit : exits_)
      if (!exit->ended) return;
    finish();
  }

  void give_up() {
    for (const auto& exit : exits_)
      if (!exit->ended) spdlog::error("{} did not exit after SIGKILL; leaving it", describe_process(exit->pid));
    finish();
  }

  void finish() {
    if (!done_) return;
    timer_.cancel();
    for (const auto& exit : exits_) exit->pidfd.close();
    asio::post(io_, std::exchange(done_, nullptr));
  }

  asio::io_context& io_;
  asio::steady_timer timer_;
  std::function<void()> done_;
  std::vector<std::unique_ptr<Exit>> exits_;
};

}  // namespace

void end_strays(asio::io_context& io, std::chrono::milliseconds patience, std::function<void()> done) {
  std::make_shared<StrayEnding>(io, std::move(done))->start(patience);
}

}  // namespace moltbot::runtime
