#include "moltbot/runtime/reaper.h"

#include <signal.h>
#include <sys/wait.h>

#include "moltbot/runtime/guarded.h"

namespace moltbot::runtime {

Reaper::Reaper(boost::asio::io_context& io) : sigchld_(io, SIGCHLD) { do_wait_signal(); }

void Reaper::watch(pid_t pid, ExitHandler on_exit) { watched_[pid] = std::move(on_exit); }

void Reaper::forget(pid_t pid) { watched_.erase(pid); }

void Reaper::reap() {
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;  // 0: children left but none exited; -1/ECHILD: no children
    auto exit = ExitStatus::from_wait_status(status);
    auto watched = watched_.find(pid);
    // Watchers guard themselves (a runner contains its own failures); this is the backstop that
    // keeps one watcher's failure from leaving the other exits of this signal unreaped.
    if (watched == watched_.end()) {
      if (on_orphan_) guarded(Handler::reaper, [&] { on_orphan_(pid, exit); });
      continue;
    }
    auto handler = std::move(watched->second);
    watched_.erase(watched);
    guarded(Handler::reaper, [&] { handler(exit); });
  }
}

void Reaper::do_wait_signal() {
  sigchld_.async_wait([this](const boost::system::error_code& error, int) {
    if (error) return;  // operation_aborted: the reaper is going away
    do_wait_signal();
    reap();
  });
}

}  // namespace moltbot::runtime
