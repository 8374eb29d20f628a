#include "moltbot/control/control_server.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "moltbot/control/peer_check.h"

namespace moltbot::control {

std::variant<std::unique_ptr<ControlServer>, std::string> ControlServer::create(boost::asio::io_context& io,
                                                                                const ServerOptions& options,
                                                                                const CommandRegistry& commands) {
  std::optional<gid_t> group;
  if (options.socket_group) {
    group = group_id(*options.socket_group);
    if (!group) return "supervisor.socket_group \"" + *options.socket_group + "\" is not a group on this host";
  }
  std::unique_ptr<ControlServer> server(new ControlServer(io, options, commands, group));
  auto file = SocketFile::listen(server->acceptor_, options.socket_path, group);
  if (auto* problem = std::get_if<std::string>(&file)) return *problem;
  server->file_.emplace(std::move(std::get<SocketFile>(file)));
  server->do_accept();
  return server;
}

ControlServer::ControlServer(boost::asio::io_context& io, const ServerOptions& options,
                             const CommandRegistry& commands, std::optional<gid_t> group)
    : acceptor_(io), commands_(commands), limits_(options.limits), group_(group), own_uid_(::geteuid()) {}

void ControlServer::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error, ControlSession::Socket socket) {
    if (error == boost::asio::error::operation_aborted) return;
    if (error) {
      spdlog::warn("control: accept on {} failed: {}", path(), error.message());
    } else {
      auto peer = peer_credentials(socket.native_handle());
      auto session = std::make_shared<ControlSession>(std::move(socket), commands_, limits_);
      std::erase_if(sessions_, [](const auto& weak) { return weak.expired(); });
      sessions_.push_back(session);
      std::optional<std::string> refused =
          peer ? refusal(*peer, own_uid_, group_) : std::optional<std::string>("peer credentials unavailable");
      if (refused) {
        spdlog::warn("control: refused a connection on {}: {}", path(), *refused);
        session->refuse("permission-denied", *refused);
      } else {
        session->start();
      }
    }
    do_accept();
  });
}

void ControlServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (const auto& weak : sessions_)
    if (auto session = weak.lock()) session->close();
  sessions_.clear();
}

}  // namespace moltbot::control
