#include "control_socket.h"

namespace moltbot::daemon {

std::variant<std::unique_ptr<ControlSocket>, std::string> ControlSocket::open(
    boost::asio::io_context& io, runtime::Fleet& fleet, const config::SupervisorSettings& settings,
    std::function<void()> shutdown, std::function<nlohmann::json()> reload) {
  std::unique_ptr<ControlSocket> socket(new ControlSocket(fleet));
  const control::FleetCommandContext context{io, fleet, socket->feeds_, std::move(shutdown), std::move(reload)};
  control::add_status_commands(socket->commands_, context);
  control::add_lifecycle_commands(socket->commands_, context);
  control::add_stream_commands(socket->commands_, context);
  control::add_exec_commands(socket->commands_, context);
  auto server = control::ControlServer::create(io, {settings.socket, settings.socket_group, {}}, socket->commands_);
  if (auto* problem = std::get_if<std::string>(&server)) return *problem;
  socket->server_ = std::move(std::get<std::unique_ptr<control::ControlServer>>(server));
  return socket;
}

}  // namespace moltbot::daemon
