#include "moltbot/test/child_process.h"
#include "moltbot/test/temp_dir.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace moltbot::test {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

// glibc 2.36's <sys/pidfd.h> lacks extern "C", so its wrapper cannot be linked from C++.
int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

ExitStatus decode(int status) {
  if (WIFSIGNALED(status)) return {-1, WTERMSIG(status)};
  return {WEXITSTATUS(status), 0};
}

}  // namespace

ChildProcess::ChildProcess(const ChildOptions& options)
    : out_path_(options.output_dir / (options.name + ".stdout")),
      err_path_(options.output_dir / (options.name + ".stderr")) {
  if (options.argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : options.env) env_strings.push_back(name + "=" + value);
  std::vector<char*> argv, envp;
  for (const auto& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  // Where each passed descriptor waits in the child until it moves to its place (allocated here:
  // nothing is allocated between fork and exec).
  std::vector<int> parked(options.passed_fds.size());
  const int first_passed = 3;
  const int past_passed = first_passed + static_cast<int>(parked.size());

  int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out >= 0 && err >= 0) pid_ = ::fork();
  if (out < 0 || err < 0 || pid_ < 0) {
    int error = errno;
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
    errno = error;
    fail(pid_ < 0 && out >= 0 && err >= 0 ? "fork" : "cannot create output files in " + options.output_dir.string());
  }
  if (pid_ == 0) {
    // Between fork and exec: async-signal-safe calls only.
    ::setpgid(0, 0);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    // Out of the way first: one to pass may sit where another goes.
    for (std::size_t i = 0; i < parked.size(); ++i)
      if ((parked[i] = ::fcntl(options.passed_fds[i], F_DUPFD_CLOEXEC, past_passed)) < 0) ::_exit(127);
    for (std::size_t i = 0; i < parked.size(); ++i)
      if (::dup2(parked[i], first_passed + static_cast<int>(i)) < 0) ::_exit(127);
    if (options.cwd && ::chdir(options.cwd->c_str()) != 0) ::_exit(127);
    // Nothing of the test process but stdin, stdout, stderr and the passed descriptors: one it
    // opened without O_CLOEXEC (and the /dev/null above) would count against the limit of a
    // supervisor under `ulimit -n`, and keep pipes open that tests wait to see closed.
    ::close_range(static_cast<unsigned>(past_passed), ~0U, 0);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also from here, so the group exists before any kill below
  ::close(out);
  ::close(err);
  pidfd_ = open_pidfd(pid_);
  if (pidfd_ < 0) {
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    fail("pidfd_open");
  }
}

ChildProcess::~ChildProcess() {
  // Only while the process is unreaped are its pid and group id surely still ours to kill.
  if (!exit_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);  // in case it left its group
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  ::close(pidfd_);
}

void ChildProcess::signal(int signal) const {
  if (!exit_) ::kill(pid_, signal);
}

std::optional<ExitStatus> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  if (exit_) return exit_;
  pollfd fd{pidfd_, POLLIN, 0};
  int ready = 0;
  do {
    ready = ::poll(&fd, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
  exit_ = decode(status);
  return exit_;
}

std::string ChildProcess::out() const { return read_file(out_path_); }
std::string ChildProcess::err() const { return read_file(err_path_); }

}  // namespace moltbot::test
