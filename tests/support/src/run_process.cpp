#include "moltbot/test/run_process.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace moltbot::test {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

struct Pipe {
  int read = -1;
  int write = -1;
};

Pipe make_pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) fail("pipe2");
  return {fds[0], fds[1]};
}

// A pseudo-terminal as a pipe: written through its slave, read from its master.
Pipe make_terminal() {
  int master = -1, slave = -1;
  termios raw{};
  cfmakeraw(&raw);
  if (openpty(&master, &slave, nullptr, &raw, nullptr) != 0) fail("openpty");
  fcntl(master, F_SETFD, FD_CLOEXEC);
  fcntl(slave, F_SETFD, FD_CLOEXEC);
  return {master, slave};
}

// Everything here runs between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_child(const ProcessRun& run, char* const* argv, char* const* envp, Pipe out, Pipe err) {
  setpgid(0, 0);
  dup2(out.write, STDOUT_FILENO);
  dup2(err.write, STDERR_FILENO);
  int input = open(run.stdin_path ? run.stdin_path->c_str() : "/dev/null", O_RDONLY);
  if (input < 0) _exit(127);
  dup2(input, STDIN_FILENO);
  if (run.cwd && chdir(run.cwd->c_str()) != 0) _exit(127);
  execve(argv[0], argv, envp);
  _exit(127);
}

}  // namespace

ProcessResult run_process(const ProcessRun& run) {
  if (run.argv.empty()) throw std::invalid_argument("run_process: empty argv");
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : run.env) env_strings.push_back(name + "=" + value);
  std::vector<char*> argv, envp;
  for (const auto& arg : run.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  Pipe out = run.stdout_terminal ? make_terminal() : make_pipe();
  Pipe err = make_pipe();
  const pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid == 0) exec_child(run, argv.data(), envp.data(), out, err);
  setpgid(pid, pid);  // also from here, so the group exists before any kill below
  close(out.write);
  close(err.write);

  ProcessResult result;
  const auto deadline = Clock::now() + run.deadline;
  pollfd fds[2] = {{out.read, POLLIN, 0}, {err.read, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_pipes = 2;
  char buffer[65536];
  while (open_pipes > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left)) < 0 && errno != EINTR) fail("poll");
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {  // a terminal's master reads EIO once the program is gone
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_pipes;
      }
    }
  }
  for (pollfd& fd : fds)
    if (fd.fd >= 0) close(fd.fd);

  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail("waitpid");
  if (WIFEXITED(status) && !result.timed_out) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace moltbot::test
