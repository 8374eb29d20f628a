#pragma once
// The control socket: accepts connections on the daemon's io_context, checks each peer's
// credentials (SO_PEERCRED) and hands permitted ones to a ControlSession. It keeps weak
// references to its sessions only to close them at shutdown. When accept() fails (out of
// descriptors: EMFILE, ENFILE), it waits `accept_retry` before trying again instead of spinning
// on the still-ready listener, and says so at most once a minute.
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "moltbot/control/command_registry.h"
#include "moltbot/control/control_session.h"
#include "moltbot/control/socket_file.h"

namespace moltbot::control {

struct ServerOptions {
  std::string socket_path;
  std::optional<std::string> socket_group;
  SessionLimits limits;
  std::chrono::milliseconds accept_retry{100};
};

class ControlServer {
 public:
  // Listening, or why not (a live supervisor on the path, an unknown group, a system error).
  static std::variant<std::unique_ptr<ControlServer>, std::string> create(boost::asio::io_context& io,
                                                                          const ServerOptions& options,
                                                                          const CommandRegistry& commands);
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Stops accepting and closes every connection.
  void stop();
  const std::string& path() const { return file_->path(); }

 private:
  ControlServer(boost::asio::io_context& io, const ServerOptions& options, const CommandRegistry& commands,
                std::optional<gid_t> group);
  void do_accept();
  void admit(ControlSession::Socket socket);
  void retry_accept_later(const boost::system::error_code& error);

  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::optional<SocketFile> file_;
  const CommandRegistry& commands_;
  SessionLimits limits_;
  boost::asio::steady_timer accept_retry_timer_;
  std::chrono::milliseconds accept_retry_;
  std::uint64_t accept_failures_ = 0;  // since the last warning
  std::optional<std::chrono::steady_clock::time_point> last_accept_warning_;
  std::optional<gid_t> group_;
  uid_t own_uid_;
  std::vector<std::weak_ptr<ControlSession>> sessions_;
};

}  // namespace moltbot::control
