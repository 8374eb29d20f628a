#include "moltbot/runtime/spawner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace moltbot::runtime {

namespace {

// What the child reports through the error pipe when it cannot get to exec.
struct ChildFailure {
  int stage;
  int error;
};
enum Stage { stage_setup = 1, stage_chdir = 2, stage_exec = 3 };

std::string resolve_program(const std::string& program, const Environment& env) {
  if (program.find('/') != std::string::npos) return program;
  auto path = lookup(env, "PATH").value_or("/usr/local/bin:/usr/bin:/bin");
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return program;  // exec fails with ENOENT and the error names it
}

[[noreturn]] void fail_in_child(int error_fd, Stage stage) {
  ChildFailure failure{stage, errno};
  [[maybe_unused]] auto written = ::write(error_fd, &failure, sizeof failure);
  ::_exit(127);
}

// Between fork and exec: async-signal-safe calls only.
[[noreturn]] void become_child(const SpawnRequest& request, const char* program, char* const* argv,
                               char* const* envp, pid_t parent, int error_fd) {
  if (::setpgid(0, 0) != 0) fail_in_child(error_fd, stage_setup);
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail_in_child(error_fd, stage_setup);
  if (::getppid() != parent) ::_exit(127);  // the supervisor died before prctl: nobody to serve

  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Ignored dispositions survive exec (SIGPIPE in the supervisor): restore every default.
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);

  int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd < 0) fail_in_child(error_fd, stage_setup);
  int output = request.output_fd >= 0 ? request.output_fd : null_fd;
  if (::dup2(null_fd, 0) < 0 || ::dup2(output, 1) < 0 || ::dup2(output, 2) < 0) fail_in_child(error_fd, stage_setup);

  // Everything but 0/1/2 and the (close-on-exec) error pipe goes.
  if (error_fd > 3) ::close_range(3, static_cast<unsigned>(error_fd) - 1, 0);
  ::close_range(static_cast<unsigned>(error_fd) + 1, UINT_MAX, 0);

  if (!request.working_dir.empty() && ::chdir(request.working_dir.c_str()) != 0) fail_in_child(error_fd, stage_chdir);
  ::execve(program, argv, envp);
  fail_in_child(error_fd, stage_exec);
}

}  // namespace

std::variant<pid_t, std::string> spawn(const SpawnRequest& request) {
  if (request.argv.empty()) return std::string("empty command");
  // Everything the child needs is built before fork: no allocation happens after it.
  std::string program = resolve_program(request.argv.front(), request.env);
  std::vector<char*> argv;
  for (const auto& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_entries;
  for (const auto& [name, value] : request.env) env_entries.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& entry : env_entries) envp.push_back(entry.data());
  envp.push_back(nullptr);

  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int error = errno;
    ::close(error_pipe[0]);
    ::close(error_pipe[1]);
    return fmt::format("fork: {}", std::strerror(error));
  }
  if (pid == 0) {
    ::close(error_pipe[0]);
    become_child(request, program.c_str(), argv.data(), envp.data(), parent, error_pipe[1]);
  }
  ::close(error_pipe[1]);
  // Also from this side, so signalling the group works even before the child ran setpgid.
  ::setpgid(pid, pid);

  ChildFailure failure{};
  ssize_t got;
  do {
    got = ::read(error_pipe[0], &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  ::close(error_pipe[0]);
  if (got <= 0) return pid;  // closed by exec: the program runs

  // The child is exiting right now; collect it here so nobody sees a stray exit.
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  switch (failure.stage) {
    case stage_chdir:
      return fmt::format("cannot change to working directory {}: {}", request.working_dir, std::strerror(failure.error));
    case stage_exec:
      return fmt::format("cannot execute {}: {}", program, std::strerror(failure.error));
    default:
      return fmt::format("cannot set up the child process: {}", std::strerror(failure.error));
  }
}

}  // namespace moltbot::runtime
