#include "detached_helpers.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>

#include "log.h"

namespace moltbot::gateway {
namespace {

struct Detached {
  std::optional<pid_t> pid;
  std::string error;
};

// Starts argv (this executable) the `setsid -f` way; `pass_fd`, when set, becomes descriptor 3 of
// the helper. Only async-signal-safe calls between fork and exec.
Detached detach(char* const argv[], int pass_fd) {
  // By its own path, not /proc/self/exe: the helper's process name (comm) is then moltbot-gateway.
  std::error_code error;
  const auto program = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {std::nullopt, "/proc/self/exe: " + error.message()};
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return {std::nullopt, std::string("pipe: ") + std::strerror(errno)};
  const pid_t middle = ::fork();
  if (middle < 0) {
    const int fork_error = errno;
    ::close(report[0]);
    ::close(report[1]);
    return {std::nullopt, std::string("fork: ") + std::strerror(fork_error)};
  }
  if (middle == 0) {
    ::setsid();
    const pid_t helper = ::fork();
    if (helper == 0) {
      sigset_t none;
      ::sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE, SIGUSR1, SIGUSR2}) ::signal(signal, SIG_DFL);
      if (pass_fd >= 0 && pass_fd != 3 && ::dup2(pass_fd, 3) != 3) ::_exit(127);
      ::close_range(pass_fd >= 0 ? 4 : 3, UINT_MAX, 0);
      ::execv(program.c_str(), argv);
      ::_exit(127);
    }
    (void)!::write(report[1], &helper, sizeof helper);
    ::_exit(helper > 0 ? 0 : 1);
  }
  ::close(report[1]);
  pid_t helper = -1;
  const bool reported = ::read(report[0], &helper, sizeof helper) == static_cast<ssize_t>(sizeof helper);
  ::close(report[0]);
  while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (!reported || helper <= 0) return {std::nullopt, "the intermediate process could not fork the helper"};
  return {helper, {}};
}

}  // namespace

DetachedHelpers spawn_detached_helpers(int count) {
  DetachedHelpers helpers;
  char program[] = "moltbot-gateway";
  char flag[] = "--helper";
  char* argv[] = {program, flag, nullptr};
  for (int i = 0; i < count; ++i) {
    auto helper = detach(argv, -1);
    if (!helper.pid) {
      helpers.error = "cannot start a detached helper: " + helper.error;
      break;
    }
    helpers.pids.push_back(*helper.pid);
  }
  return helpers;
}

PortSquatter spawn_port_squatter(int port) {
  int link[2];
  if (::pipe2(link, O_CLOEXEC) != 0) return {std::nullopt, -1, std::string("pipe: ") + std::strerror(errno)};
  char program[] = "moltbot-gateway";
  char flag[] = "--squat-port";
  std::string port_text = std::to_string(port);
  char* argv[] = {program, flag, port_text.data(), nullptr};
  auto squatter = detach(argv, link[0]);
  ::close(link[0]);
  if (!squatter.pid) {
    ::close(link[1]);
    return {std::nullopt, -1, "cannot start the port squatter: " + squatter.error};
  }
  return {squatter.pid, link[1], {}};
}

int run_port_squatter(int port, bool ignore_sigterm) {
  if (ignore_sigterm) ::signal(SIGTERM, SIG_IGN);
  char byte;
  for (;;) {  // nothing is ever written: the read ends at EOF, when the gateway's end closes
    const ssize_t got = ::read(3, &byte, 1);
    if (got == 0 || (got < 0 && errno != EINTR)) break;
  }
  ::close(3);
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int yes = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // The dead gateway's listener may not be gone from the kernel yet.
  while (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) ::usleep(20000);
  ::listen(listener, 16);
  log_line("squatting port {} after the gateway died (test fault port_squatter)", port);
  for (;;) ::pause();
}

}  // namespace moltbot::gateway
