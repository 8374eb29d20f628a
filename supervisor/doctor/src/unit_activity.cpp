#include "moltbot/doctor/unit_activity.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>


#include <cerrno>
#include <chrono>
#include <sstream>

extern char** environ;

namespace moltbot::doctor {
namespace {

using Clock = std::chrono::steady_clock;

// systemctl waits on D-Bus; a wedged bus must not hang the doctor.
constexpr std::chrono::milliseconds systemctl_deadline{5000};

// Runs `argv` (looked up on PATH) with stdin and stderr on /dev/null and returns its stdout when
// it exits 0 before the deadline.
std::optional<std::string> capture_stdout(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    return std::nullopt;
  }

  std::string out;
  bool gave_up = false;
  const auto deadline = Clock::now() + systemctl_deadline;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd readable{fds[0], POLLIN, 0};
    const int ready = left > 0 ? ::poll(&readable, 1, static_cast<int>(left)) : 0;
    if (left <= 0 || (ready < 0 && errno != EINTR)) {
      gave_up = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (ready <= 0) continue;  // interrupted or timed out: the next round decides
    char buffer[4096];
    const ssize_t got = ::read(fds[0], buffer, sizeof buffer);
    if (got > 0) out.append(buffer, static_cast<std::size_t>(got));
    if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) break;
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (gave_up || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::map<std::string, std::string> parse_list_units(std::string_view text) {
  std::map<std::string, std::string> states;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string unit, load, active;
    if (fields >> unit >> load >> active) states[unit] = active;
  }
  return states;
}

std::optional<std::map<std::string, std::string>> query_active_states(UnitScope scope,
                                                                       const std::vector<std::string>& patterns) {
  // What sd_booted(3) checks: systemd is the running init.
  if (::access("/run/systemd/system/", F_OK) != 0) return std::nullopt;
  std::vector<std::string> argv{"systemctl"};
  if (scope == UnitScope::user) argv.push_back("--user");
  for (const char* option : {"list-units", "--all", "--plain", "--no-legend", "--full", "--no-pager", "--"})
    argv.push_back(option);
  argv.insert(argv.end(), patterns.begin(), patterns.end());
  auto out = capture_stdout(argv);
  if (!out) return std::nullopt;
  return parse_list_units(*out);
}

}  // namespace moltbot::doctor
