#include "moltbot/test/http_get.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace moltbot::test {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on `fd` until `deadline`; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// "HTTP/1.1 200 OK\r\n...\r\n\r\nbody" -> status and body.
std::optional<HttpResponse> parse(const std::string& raw) {
  auto head_end = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.") || head_end == std::string::npos || raw.size() < 12) return std::nullopt;
  HttpResponse response;
  response.status = std::atoi(raw.c_str() + 9);
  response.body = raw.substr(head_end + 4);
  return response;
}

}  // namespace

HttpResult http_get(const std::string& host, int port, const std::string& path, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return {std::nullopt, "bad IPv4 address " + host};

  Socket socket;
  if (socket.fd() < 0) return {std::nullopt, std::strerror(errno)};
  if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    return {std::nullopt, std::strerror(errno)};
  }
  if (!wait_for(socket.fd(), POLLOUT, deadline)) return {std::nullopt, "timed out connecting"};
  int error = 0;
  socklen_t length = sizeof error;
  ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) return {std::nullopt, std::strerror(error)};

  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                              "\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(socket.fd(), POLLOUT, deadline)) return {std::nullopt, "timed out sending"};
    ssize_t n = ::send(socket.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return {std::nullopt, std::strerror(errno)};
    if (n > 0) sent += static_cast<std::size_t>(n);
  }

  std::string raw;
  char buffer[4096];
  for (;;) {
    if (!wait_for(socket.fd(), POLLIN, deadline)) return {std::nullopt, "timed out waiting for the reply"};
    ssize_t n = ::recv(socket.fd(), buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return {std::nullopt, std::strerror(errno)};
    if (n > 0) raw.append(buffer, static_cast<std::size_t>(n));
  }
  auto response = parse(raw);
  if (!response) return {std::nullopt, "malformed reply: " + raw.substr(0, 80)};
  return {response, {}};
}

}  // namespace moltbot::test
