#pragma once
// The control socket: accepts connections on the daemon's io_context, checks each peer's
// credentials (SO_PEERCRED) and hands permitted ones to a ControlSession. It keeps weak
// references to its sessions only to close them at shutdown.
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
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

  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::optional<SocketFile> file_;
  const CommandRegistry& commands_;
  SessionLimits limits_;
  std::optional<gid_t> group_;
  uid_t own_uid_;
  std::vector<std::weak_ptr<ControlSession>> sessions_;
};

}  // namespace moltbot::control
