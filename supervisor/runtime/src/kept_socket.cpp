#include "moltbot/runtime/kept_socket.h"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace moltbot::runtime {

int KeptSocket::get() {
  if (fd_ < 0) fd_ = ::socket(domain_, type_ | SOCK_CLOEXEC, protocol_);
  return fd_;
}

int KeptSocket::take() { return std::exchange(fd_, -1); }

bool KeptSocket::drop() {
  if (fd_ < 0) return false;
  ::close(std::exchange(fd_, -1));
  return true;
}

KeptSocket& kept_probe_socket() {
  thread_local KeptSocket socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  return socket;
}

KeptSocket& kept_diagnostics_socket() {
  thread_local KeptSocket socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
  return socket;
}

std::size_t drop_kept_sockets() {
  return static_cast<std::size_t>(kept_probe_socket().drop()) + static_cast<std::size_t>(kept_diagnostics_socket().drop());
}

}  // namespace moltbot::runtime
