#pragma once
// How a child ended, decoded from a waitpid status; unknown for a gateway adopted after a crash of
// the supervisor, whose exit status only its new parent (init) learns.
#include <string>

namespace moltbot::runtime {

struct ExitStatus {
  int code = -1;    // exit code, or -1 when killed by a signal
  int signal = 0;   // terminating signal, or 0
  bool core_dumped = false;
  bool known = true;

  static ExitStatus unknown() { return {-1, 0, false, false}; }
  static ExitStatus from_wait_status(int status);
  static ExitStatus exited(int code) { return {code, 0, false}; }
  static ExitStatus killed(int signal) { return {-1, signal, false}; }

  // Exit 0, exit 143 (the gateway's own SIGTERM exit) or death by SIGTERM.
  bool is_clean() const;
  // "exit status 1", "killed by signal 9 (SIGKILL)", "exited (status unknown: ...)"
  std::string describe() const;
};

}  // namespace moltbot::runtime
