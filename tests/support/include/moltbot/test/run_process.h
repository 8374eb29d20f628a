#pragma once
// Running a program to completion from a test: argv, environment and working directory in,
// exit status and captured output out. A deadline bounds every run; a program still running at
// the deadline is killed (it and its process group) and reported as timed out.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moltbot::test {

struct ProcessRun {
  std::vector<std::string> argv;                   // argv[0] is the program's path
  std::map<std::string, std::string> env;         // the whole environment, nothing inherited
  std::optional<std::string> cwd;
  std::optional<std::string> stdin_path = std::nullopt;  // read as its stdin; /dev/null when not given
  std::chrono::milliseconds deadline{20000};
  // stdout a pseudo-terminal in raw mode (no "\n" -> "\r\n"), for what a program writes to a
  // terminal only; `out` is what reached it.
  bool stdout_terminal = false;
};

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  int signal = 0;      // the signal that ended it, if any
  bool timed_out = false;
  std::string out;
  std::string err;
};

ProcessResult run_process(const ProcessRun& run);

}  // namespace moltbot::test
