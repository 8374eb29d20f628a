#pragma once
// moltbot-supervisorctl's side of the socket: connect, send one request line, read reply lines.
// Blocking I/O: the client does one thing at a time.
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace moltbot::ctl {

// The supervisor is not there: no socket file, or nobody listening on it.
class NotRunning : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ControlClient {
 public:
  // Throws NotRunning, or std::runtime_error for any other failure (permissions, ...).
  explicit ControlClient(const std::string& socket_path);
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // A connection the supervisor has already closed is not an error here: next() then returns its
  // last words, or nothing.
  void send(const nlohmann::json& request);
  // The next line from the supervisor, or std::nullopt at the end of the connection.
  std::optional<nlohmann::json> next();
  // For a caller that waits on the socket and something else at once (poll): whether next() has a
  // whole line without reading, and the descriptor to wait on otherwise.
  bool has_line() const { return buffer_.find('\n') != std::string::npos; }
  int descriptor() const { return fd_; }

 private:
  int fd_ = -1;
  std::string path_;
  std::string buffer_;
};

}  // namespace moltbot::ctl
