#include "moltbot/runtime/pidfd.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <utility>

namespace moltbot::runtime {

// glibc 2.36's <sys/pidfd.h> lacks extern "C", so its wrappers cannot be linked from C++.
namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int pidfd_send_signal(int pidfd, int signal) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

}  // namespace

std::optional<Pidfd> Pidfd::open(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  const int fd = pidfd_open(pid);
  if (fd < 0) return std::nullopt;
  return Pidfd(fd);
}

std::optional<Pidfd> Pidfd::of(const ProcessId& process) {
  auto handle = open(process.pid);
  // Checked after opening: if the pid still shows the recorded start time now, the descriptor
  // holds that process; if the process ended in between, the descriptor holds a dead one and
  // signals through it reach nobody.
  if (!handle || !is_alive(process)) return std::nullopt;
  return handle;
}

Pidfd::Pidfd(Pidfd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Pidfd& Pidfd::operator=(Pidfd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Pidfd::~Pidfd() {
  if (fd_ >= 0) ::close(fd_);
}

bool Pidfd::signal(int signal) const { return signal_through_pidfd(fd_, signal); }

bool signal_through_pidfd(int pidfd, int signal) { return pidfd_send_signal(pidfd, signal) == 0; }

int Pidfd::release() { return std::exchange(fd_, -1); }

bool signal_process(const ProcessId& process, int signal) {
  auto handle = Pidfd::of(process);
  return handle && handle->signal(signal);
}

}  // namespace moltbot::runtime
