#pragma once
// The daemon's control socket: the fleet's commands (docs/control-protocol.md) served on the
// manifest's socket path, on the daemon's one io_context.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "moltbot/config/manifest.h"
#include "moltbot/control/command_registry.h"
#include "moltbot/control/control_server.h"
#include "moltbot/control/fleet_commands.h"
#include "moltbot/runtime/fleet.h"
#include "moltbot/runtime/resource_guard.h"

namespace moltbot::daemon {

class ControlSocket {
 public:
  // Listening, or why not (another supervisor is live on the path, ...). `shutdown` is what the
  // `shutdown` command does: the same as SIGTERM; `reload` what `reload` does: the same as SIGHUP.
  // A new connection is served only while `resources` has room for it.
  static std::variant<std::unique_ptr<ControlSocket>, std::string> open(
      boost::asio::io_context& io, runtime::Fleet& fleet, const config::SupervisorSettings& settings,
      runtime::ResourceGuard& resources, std::function<void()> shutdown, std::function<nlohmann::json()> reload);
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  // Closes the listener and every connection; the socket file goes with this object.
  void close() { server_->stop(); }
  const std::string& path() const { return server_->path(); }
  // A ResourceGuard shedder: closes up to `wanted` connections, idle ones first.
  runtime::ResourceGuard::Shed shed(std::size_t wanted);

 private:
  explicit ControlSocket(runtime::Fleet& fleet) : feeds_(fleet) {}

  control::FleetFeeds feeds_;
  control::CommandRegistry commands_;
  std::unique_ptr<control::ControlServer> server_;
};

}  // namespace moltbot::daemon
