#include "moltbot/control/control_server.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

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
    : acceptor_(io),
      commands_(commands),
      limits_(options.limits),
      accept_retry_timer_(io),
      accept_retry_(options.accept_retry),
      group_(group),
      own_uid_(::geteuid()) {}

void ControlServer::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& error, ControlSession::Socket socket) {
    if (error == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (error) return retry_accept_later(error);
    // A connection whose setup fails is dropped (closed with its socket); accepting goes on.
    runtime::guarded(runtime::Handler::accept, [&] { admit(std::move(socket)); });
    do_accept();
  });
}

void ControlServer::admit(ControlSession::Socket socket) {
  auto peer = peer_credentials(socket.native_handle());
  const Peer sender = peer ? Peer{peer->uid, privileged(*peer, own_uid_)} : Peer{};
  auto session = std::make_shared<ControlSession>(std::move(socket), commands_, limits_, sender);
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

void ControlServer::retry_accept_later(const boost::system::error_code& error) {
  // The listener stays readable while the failure lasts: accepting again at once would spin.
  ++accept_failures_;
  const auto now = std::chrono::steady_clock::now();
  if (!last_accept_warning_ || now - *last_accept_warning_ >= std::chrono::minutes(1)) {
    spdlog::warn("control: cannot accept connections on {}: {}; retrying every {} ms (failed attempts since the "
                 "last warning: {})",
                 path(), error.message(), accept_retry_.count(), std::exchange(accept_failures_, 0));
    last_accept_warning_ = now;
  }
  accept_retry_timer_.expires_after(accept_retry_);
  accept_retry_timer_.async_wait([this](const boost::system::error_code& timer_error) {
    if (!timer_error && acceptor_.is_open()) do_accept();  // stop() may have come after it expired
  });
}

void ControlServer::stop() {
  boost::system::error_code ignored;
  accept_retry_timer_.cancel();
  acceptor_.close(ignored);
  for (const auto& weak : sessions_)
    if (auto session = weak.lock()) session->close();
  sessions_.clear();
}

}  // namespace moltbot::control
