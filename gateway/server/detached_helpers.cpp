#include "detached_helpers.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>

namespace moltbot::gateway {
namespace {

struct Detached {
  std::optional<pid_t> pid;
  std::string error;
};

// Default signal handling, SIGTERM ignored if asked, every descriptor above stderr closed but
// `keep` (-1: none).
void become_helper(bool ignore_sigterm, int keep) {
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE, SIGUSR1, SIGUSR2}) ::signal(signal, SIG_DFL);
  if (ignore_sigterm) ::signal(SIGTERM, SIG_IGN);
  if (keep < 0) {
    ::close_range(STDERR_FILENO + 1, UINT_MAX, 0);
    return;
  }
  if (keep > STDERR_FILENO + 1) ::close_range(STDERR_FILENO + 1, static_cast<unsigned>(keep) - 1, 0);
  ::close_range(static_cast<unsigned>(keep) + 1, UINT_MAX, 0);
}

// Runs `helper` (which never returns) in a process started the `setsid -f` way. Between the forks
// and in the helper only async-signal-safe calls: the gateway's event loop is not the helper's.
Detached detach(const std::function<void()>& helper) {
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
    const pid_t grandchild = ::fork();
    if (grandchild == 0) {
      helper();
      ::_exit(0);
    }
    (void)!::write(report[1], &grandchild, sizeof grandchild);
    ::_exit(grandchild > 0 ? 0 : 1);
  }
  ::close(report[1]);
  pid_t helper_pid = -1;
  const bool reported = ::read(report[0], &helper_pid, sizeof helper_pid) == static_cast<ssize_t>(sizeof helper_pid);
  ::close(report[0]);
  while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (!reported || helper_pid <= 0) return {std::nullopt, "the intermediate process could not fork the helper"};
  return {helper_pid, {}};
}

[[noreturn]] void sleep_forever() {
  for (;;) ::pause();
}

}  // namespace

DetachedHelpers spawn_detached_helpers(int count, bool ignore_sigterm) {
  DetachedHelpers helpers;
  for (int i = 0; i < count; ++i) {
    auto helper = detach([ignore_sigterm] {
      become_helper(ignore_sigterm, -1);
      sleep_forever();
    });
    if (!helper.pid) {
      helpers.error = "cannot start a detached helper: " + helper.error;
      break;
    }
    helpers.pids.push_back(*helper.pid);
  }
  return helpers;
}

PortSquatter spawn_port_squatter(int port, bool ignore_sigterm) {
  int link[2];
  if (::pipe2(link, O_CLOEXEC) != 0) return {std::nullopt, -1, std::string("pipe: ") + std::strerror(errno)};
  // Formatted here: the helper only writes it.
  const std::string message =
      fmt::format("moltbot-gateway[squatter]: squatting port {} after the gateway died (test fault port_squatter)\n",
                  port);
  auto squatter = detach([&] {
    become_helper(ignore_sigterm, link[0]);
    char byte;
    for (;;) {  // nothing is ever written: the read ends at EOF, when the gateway's end closes
      const ssize_t got = ::read(link[0], &byte, 1);
      if (got == 0 || (got < 0 && errno != EINTR)) break;
    }
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int yes = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const timespec retry{0, 20'000'000};
    while (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) ::nanosleep(&retry, nullptr);
    ::listen(listener, 16);
    (void)!::write(STDERR_FILENO, message.data(), message.size());
    sleep_forever();
  });
  ::close(link[0]);
  if (!squatter.pid) {
    ::close(link[1]);
    return {std::nullopt, -1, "cannot start the port squatter: " + squatter.error};
  }
  return {squatter.pid, link[1], {}};
}

}  // namespace moltbot::gateway
