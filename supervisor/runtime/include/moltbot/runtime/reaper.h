#pragma once
// The one SIGCHLD handler of the process. Every exit is collected with waitpid(-1) and dispatched
// by pid; processes nobody registered (subreaper adoptees, helpers of a gateway) are reaped too
// and reported as orphans, so no zombie is ever left.
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>
#include <unordered_map>

#include "moltbot/runtime/exit_status.h"

namespace moltbot::runtime {

class Reaper {
 public:
  using ExitHandler = std::function<void(ExitStatus)>;
  using OrphanHandler = std::function<void(pid_t, ExitStatus)>;

  explicit Reaper(boost::asio::io_context& io);
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

  // Call right after spawning `pid`, before returning to the event loop.
  void watch(pid_t pid, ExitHandler on_exit);
  void forget(pid_t pid);
  // Whether an exit handler waits for `pid` (a process the supervisor started itself).
  bool watching(pid_t pid) const { return watched_.contains(pid); }
  void on_orphan(OrphanHandler handler) { on_orphan_ = std::move(handler); }

  // Collects every exited child now; also what the SIGCHLD handler does.
  void reap();

 private:
  void do_wait_signal();

  boost::asio::signal_set sigchld_;
  std::unordered_map<pid_t, ExitHandler> watched_;
  OrphanHandler on_orphan_;
};

}  // namespace moltbot::runtime
