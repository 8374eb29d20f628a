#include "control_socket.h"

#include <fmt/format.h>

namespace moltbot::daemon {

std::variant<std::unique_ptr<ControlSocket>, std::string> ControlSocket::open(
    boost::asio::io_context& io, runtime::Fleet& fleet, const config::SupervisorSettings& settings,
    runtime::ResourceGuard& resources, Actions actions, std::optional<int> listening_fd) {
  std::unique_ptr<ControlSocket> socket(new ControlSocket(fleet));
  const control::FleetCommandContext context{io,
                                             fleet,
                                             socket->feeds_,
                                             std::move(actions.shutdown),
                                             std::move(actions.reload),
                                             std::move(actions.reexec),
                                             std::move(actions.identity)};
  control::add_status_commands(socket->commands_, context);
  control::add_lifecycle_commands(socket->commands_, context);
  control::add_stream_commands(socket->commands_, context);
  control::add_exec_commands(socket->commands_, context);
  control::add_run_commands(socket->commands_, context);
  control::add_backup_commands(socket->commands_, context);
  control::ServerOptions options;
  options.socket_path = settings.socket;
  options.socket_group = settings.socket_group;
  options.grants = settings.grants;
  options.has_room = [&resources] { return resources.room_for_optional(); };
  options.listening_fd = listening_fd;
  auto server = control::ControlServer::create(io, options, socket->commands_);
  if (auto* problem = std::get_if<std::string>(&server)) return *problem;
  socket->server_ = std::move(std::get<std::unique_ptr<control::ControlServer>>(server));
  return socket;
}

runtime::ResourceGuard::Shed ControlSocket::shed(std::size_t wanted) {
  const std::size_t closed = server_->shed(wanted);
  return {closed, fmt::format("{} control connection(s)", closed)};
}

}  // namespace moltbot::daemon
