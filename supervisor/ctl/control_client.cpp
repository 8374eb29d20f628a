#include "control_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "moltbot/common/json_string.h"
#include "socket_trust.h"

namespace moltbot::ctl {

namespace {

std::runtime_error system_error(const std::string& what, int error) {
  return std::runtime_error(what + ": " + std::strerror(error));
}

}  // namespace

ControlClient::ControlClient(const std::string& socket_path) : path_(socket_path) {
  sockaddr_un address{};
  if (socket_path.size() >= sizeof address.sun_path)
    throw std::runtime_error("socket path too long: " + socket_path);
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  auto owner = check_socket_file(socket_path);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw system_error("socket", errno);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    try {
      if (!owner) owner = check_socket_file(socket_path);  // made between the look and the connect
      if (!owner) throw UntrustedSocket("refusing to use " + socket_path + ": it vanished while connecting");
      check_socket_peer(fd_, socket_path, *owner);
    } catch (...) {
      ::close(std::exchange(fd_, -1));
      throw;
    }
    return;
  }
  const int error = errno;
  ::close(fd_);
  fd_ = -1;
  if (error == ENOENT || error == ECONNREFUSED)
    throw NotRunning("the supervisor is not running (" + socket_path + ": " + std::strerror(error) + ")");
  throw system_error("cannot connect to " + socket_path, error);
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) ::close(fd_);
}

void ControlClient::send(const nlohmann::json& request) {
  // Arguments are the user's, in any bytes: sent as U+FFFD rather than refused with an exception.
  const std::string line = json_text(request) + '\n';
  std::size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t written = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    // The supervisor may have answered and closed before reading the request (a refused peer):
    // its reply is still there to be read.
    if (written < 0 && (errno == EPIPE || errno == ECONNRESET)) return;
    if (written < 0) throw system_error("cannot send to " + path_, errno);
    sent += static_cast<std::size_t>(written);
  }
}

std::optional<nlohmann::json> ControlClient::next() {
  for (;;) {
    if (auto newline = buffer_.find('\n'); newline != std::string::npos) {
      auto line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      auto message = nlohmann::json::parse(line, nullptr, false);
      if (message.is_discarded() || !message.is_object())
        throw std::runtime_error("the supervisor sent a line that is not a JSON object: " + line);
      return message;
    }
    char chunk[65536];
    const ssize_t got = ::read(fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw system_error("cannot read from " + path_, errno);
    if (got == 0) return std::nullopt;
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }
}

}  // namespace moltbot::ctl
