#pragma once
// A program started from a test that runs alongside it (a gateway, a supervisor): its own process
// group, stdout and stderr captured to files that can be read while it runs. The destructor kills
// the whole group with SIGKILL and reaps the process, so a failing test leaves nothing behind
// (except processes that left the group on purpose, such as a gateway's helper: kill those by pid).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moltbot::test {

struct ChildOptions {
  std::vector<std::string> argv;           // argv[0] is the program's path
  std::map<std::string, std::string> env;  // the whole environment, nothing inherited
  std::optional<std::string> cwd;
  std::filesystem::path output_dir;        // where <name>.stdout and <name>.stderr go
  std::string name = "child";
  // Become descriptors 3, 4, ... of the program, in this order (as sd_listen_fds(3) hands them).
  std::vector<int> passed_fds = {};
};

struct ExitStatus {
  int code = -1;   // exit status, -1 when ended by a signal
  int signal = 0;  // the signal that ended it, 0 when it exited
};

class ChildProcess {
 public:
  explicit ChildProcess(const ChildOptions& options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Sends `signal` to the process (not its group).
  void signal(int signal) const;

  // Waits up to `timeout` for the process to end and reaps it; nothing if it is still running.
  // Once reaped, returns the same status again at once.
  std::optional<ExitStatus> wait_for_exit(std::chrono::milliseconds timeout);

  bool running() { return !wait_for_exit(std::chrono::milliseconds(0)); }

  // Everything captured so far.
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
  std::optional<ExitStatus> exit_;
};

}  // namespace moltbot::test
