#pragma once
// The daemon's control socket: the fleet's commands (docs/control-protocol.md) served on the
// manifest's socket path, on the daemon's one io_context.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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
  // What the commands that act on the supervisor itself do (control::FleetCommandContext).
  struct Actions {
    std::function<void()> shutdown;                  // the same as SIGTERM
    // The same as SIGHUP (control::FleetCommandContext::reload).
    std::function<nlohmann::json(bool rolling, std::function<void(nlohmann::json)> finished)> reload;
    std::function<void(control::ReplySink&)> reexec;  // daemon/reexec.h
    std::function<nlohmann::json()> identity;         // build and re-execs, for `version`
  };
  // Listening, or why not (another supervisor is live on the path, ...). `listening_fd`: the
  // listener a re-exec kept open. A new connection is served only while `resources` has room for it.
  static std::variant<std::unique_ptr<ControlSocket>, std::string> open(
      boost::asio::io_context& io, runtime::Fleet& fleet, const config::SupervisorSettings& settings,
      runtime::ResourceGuard& resources, Actions actions, std::optional<int> listening_fd = std::nullopt);
  ControlSocket(const ControlSocket&) = delete;
  ControlSocket& operator=(const ControlSocket&) = delete;

  // Closes the listener and every connection; the socket file goes with this object.
  void close() { server_->stop(); }
  const std::string& path() const { return server_->path(); }
  int listening_fd() { return server_->listening_fd(); }
  std::vector<int> connections_between_requests(int except) { return server_->connections_between_requests(except); }
  void adopt(const std::vector<int>& connections) { server_->adopt(connections); }
  std::optional<std::string> replace_grants(std::vector<config::ControlGrant> grants) {
    return server_->replace_grants(std::move(grants));
  }
  // Requests served so far, by command (control::CommandRegistry::requests).
  std::map<std::string, std::uint64_t, std::less<>> requests() const { return commands_.requests(); }
  // A ResourceGuard shedder: closes up to `wanted` connections, idle ones first.
  runtime::ResourceGuard::Shed shed(std::size_t wanted);

 private:
  explicit ControlSocket(runtime::Fleet& fleet) : feeds_(fleet) {}

  control::FleetFeeds feeds_;
  control::CommandRegistry commands_;
  std::unique_ptr<control::ControlServer> server_;
};

}  // namespace moltbot::daemon
