#include "moltbot/runtime/kept_socket.h"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace moltbot::runtime {

namespace {

thread_local std::function<bool()> room_to_keep;
thread_local std::function<void(std::function<void()>)> end_of_turn;

}  // namespace

int KeptSocket::get() {
  if (fd_ >= 0) return fd_;
  if (kind_ == Kind::tcp_probe) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    // On a connecting socket TCP_DEFER_ACCEPT holds back the last ACK of the handshake (the kernel
    // would send it with data, or after its delayed-ACK timeout), so a probe's connection is
    // established on this side only and is reset before the listener gets it (health_probe.cpp).
    // A kernel that refuses it still probes, with the full handshake.
    const int defer_seconds = 1;
    if (fd_ >= 0) ::setsockopt(fd_, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof defer_seconds);
    keep_ = fd_ >= 0 && (!room_to_keep || room_to_keep());
  } else {
    fd_ = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    keep_ = fd_ >= 0 && end_of_turn;
    if (keep_) end_of_turn([this] { drop(); });  // it may close a later one early: that one is opened again
  }
  return fd_;
}

void KeptSocket::used() {
  if (!keep_) drop();
}

int KeptSocket::take() { return std::exchange(fd_, -1); }

bool KeptSocket::drop() {
  if (fd_ < 0) return false;
  ::close(std::exchange(fd_, -1));
  return true;
}

KeptSocket& kept_probe_socket() {
  thread_local KeptSocket socket(KeptSocket::Kind::tcp_probe);
  return socket;
}

KeptSocket& kept_diagnostics_socket() {
  thread_local KeptSocket socket(KeptSocket::Kind::socket_diagnostics);
  return socket;
}

void keep_sockets_while(std::function<bool()> room) { room_to_keep = std::move(room); }

void close_at_end_of_turn(std::function<void(std::function<void()>)> defer) { end_of_turn = std::move(defer); }

std::size_t drop_kept_sockets() {
  return (kept_probe_socket().drop() ? 1 : 0) + (kept_diagnostics_socket().drop() ? 1 : 0);
}

}  // namespace moltbot::runtime
