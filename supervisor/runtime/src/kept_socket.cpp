#include "moltbot/runtime/kept_socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace moltbot::runtime {

namespace {

thread_local std::function<bool()> room_to_keep;

}  // namespace

int KeptSocket::get() {
  if (fd_ >= 0) return fd_;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  keep_ = fd_ >= 0 && (!room_to_keep || room_to_keep());
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
  thread_local KeptSocket socket;
  return socket;
}

void keep_sockets_while(std::function<bool()> room) { room_to_keep = std::move(room); }

std::size_t drop_kept_sockets() { return kept_probe_socket().drop() ? 1 : 0; }

}  // namespace moltbot::runtime
