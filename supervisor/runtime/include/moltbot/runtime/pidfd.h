#pragma once
// A handle on one process that survives pid reuse: a pidfd (pidfd_open(2)). A signal sent through
// it reaches the process it was opened for or nobody, never a process that got the pid later.
#include <sys/types.h>

#include <optional>

#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

class Pidfd {
 public:
  // Of whatever process has `pid` now; nullopt when none has. Enough alone for the caller's own
  // child that it has not reaped (until the reap the pid cannot pass to another process); for
  // any other process, check after opening that the pid still names the process meant, as of()
  // does: then the descriptor holds that process.
  static std::optional<Pidfd> open(pid_t pid);
  // Of the process (pid, start time) if it still runs; nullopt when it is gone or the pid now
  // belongs to another process.
  static std::optional<Pidfd> of(const ProcessId& process);

  Pidfd(Pidfd&& other) noexcept;
  Pidfd& operator=(Pidfd&& other) noexcept;
  Pidfd(const Pidfd&) = delete;
  Pidfd& operator=(const Pidfd&) = delete;
  ~Pidfd();

  // False when the process is gone or the signal is not permitted.
  bool signal(int signal) const;
  int get() const { return fd_; }
  // Hands the descriptor over (to an asio descriptor that waits for the exit).
  int release();

 private:
  explicit Pidfd(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// `signal` through a pidfd held elsewhere (an asio descriptor that waits for the exit).
bool signal_through_pidfd(int pidfd, int signal);

// `signal` to the process (pid, start time), only if it still is that process.
bool signal_process(const ProcessId& process, int signal);

}  // namespace moltbot::runtime
