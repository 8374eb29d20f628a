#include "moltbot/control/control_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <utility>

#include "moltbot/common/host_accounts.h"
#include "moltbot/common/json_string.h"
#include "moltbot/control/peer_check.h"
#include "moltbot/control/peer_grants.h"
#include "socket_acl.h"

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
  auto file = options.listening_fd ? SocketFile::adopt(server->acceptor_, *options.listening_fd, options.socket_path)
                                   : SocketFile::listen(server->acceptor_, options.socket_path,
                                                        {group, granted_users(options.grants),
                                                         granted_groups(options.grants)});
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
      max_connections_(options.max_connections),
      has_room_(options.has_room),
      group_(group),
      grants_(options.grants),
      own_uid_(::geteuid()) {}

std::optional<std::string> ControlServer::replace_grants(std::vector<config::ControlGrant> grants) {
  if (grants == grants_) return std::nullopt;
  if (auto problem = allow_on_socket(path(), granted_users(grants), granted_groups(grants))) return problem;
  grants_ = std::move(grants);
  for (const auto& weak : sessions_)
    if (auto session = weak.lock(); session && session->peer().grants)
      session->refuse("grants-changed", "control.grants changed (reload): connect again");
  return std::nullopt;
}

void ControlServer::do_accept() {
  if (has_room_ && !has_room_())
    return retry_accept_later("the supervisor is short of file descriptors and keeps the last ones for its gateways");
  acceptor_.async_accept([this](const boost::system::error_code& error, ControlSession::Socket socket) {
    if (error == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (error) return retry_accept_later(error.message());
    // A connection whose setup fails is dropped (closed with its socket); accepting goes on.
    runtime::guarded(runtime::Handler::accept, [&] { admit(std::move(socket)); });
    do_accept();
  });
}

void ControlServer::admit(ControlSession::Socket socket) {
  std::erase_if(sessions_, [](const auto& weak) { return weak.expired(); });
  if (sessions_.size() >= max_connections_)
    return refuse_now(socket, "too-many-connections",
                      fmt::format("{} control connections are open, the most the supervisor serves at once; try "
                                  "again later",
                                  sessions_.size()));
  auto peer = peer_credentials(socket.native_handle());
  Peer sender;
  std::optional<std::string> refused("peer credentials unavailable");
  if (peer) {
    sender = Peer{peer->uid, privileged(*peer, own_uid_), nullptr, peer->pid};
    refused = refusal(*peer, own_uid_, group_);
    // Neither privileged nor in socket_group: served what its grants give, if any names it.
    if (refused && (sender.grants = PeerGrants::of(*peer, grants_))) refused.reset();
    if (refused && !grants_.empty()) *refused += ", and no control grant names it";
  }
  auto session = std::make_shared<ControlSession>(std::move(socket), commands_, limits_, sender);
  session->when_closed([this, alive = std::weak_ptr<int>(alive_)] {
    // Never from inside the session's own close: posted.
    boost::asio::post(acceptor_.get_executor(), [this, alive] {
      if (!alive.expired()) resume_accepting();
    });
  });
  sessions_.push_back(session);
  if (refused) {
    spdlog::warn("control: refused a connection on {}: {}", path(), *refused);
    session->refuse("permission-denied", *refused);
  } else {
    session->start();
  }
}

std::vector<int> ControlServer::connections_between_requests(int except) {
  std::vector<int> connections;
  for (const auto& weak : sessions_)
    if (auto session = weak.lock(); session && session->between_requests() && session->connection() != except)
      connections.push_back(session->connection());
  return connections;
}

void ControlServer::adopt(const std::vector<int>& connections) {
  for (int fd : connections) {
    ControlSession::Socket socket(acceptor_.get_executor());
    boost::system::error_code error;
    socket.assign(boost::asio::local::stream_protocol(), fd, error);
    if (error) {
      ::close(fd);
      continue;
    }
    admit(std::move(socket));  // its peer checked again, as for a new connection
  }
}

void ControlServer::retry_accept_later(const std::string& why) {
  // The listener stays readable while the failure lasts: accepting again at once would spin.
  ++accept_failures_;
  const auto now = std::chrono::steady_clock::now();
  if (!last_accept_warning_ || now - *last_accept_warning_ >= std::chrono::minutes(1)) {
    spdlog::warn("control: cannot accept connections on {}: {}; retrying when a connection closes and about every "
                 "{} ms (failed attempts since the last warning: {})",
                 path(), why, accept_retry_.count(), std::exchange(accept_failures_, 0));
    last_accept_warning_ = now;
  }
  accept_paused_ = true;
  // At a fixed period the retries could each fall just after the moment the health probes due
  // together hold their sockets (the probe grid, profile_runner.cpp) and never find room: each wait
  // is drawn between half and one and a half accept_retry.
  accept_retry_timer_.expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(
      accept_retry_ * std::uniform_real_distribution<double>(0.5, 1.5)(random_)));
  accept_retry_timer_.async_wait([this](const boost::system::error_code& timer_error) {
    if (!timer_error) resume_accepting();
  });
}

void ControlServer::resume_accepting() {
  // stop() may have come after the wait ended, or the wait and a closed connection both came.
  if (!acceptor_.is_open() || !std::exchange(accept_paused_, false)) return;
  accept_retry_timer_.cancel();
  // Accepting must not end with a failure here: it is tried again later.
  runtime::guarded(
      runtime::Handler::accept, {}, [this] { do_accept(); },
      [this](const std::string& failure) { retry_accept_later(failure); });
}

void ControlServer::refuse_now(ControlSession::Socket& socket, const std::string& code, const std::string& message) {
  const auto line = json_text(error_reply(code, message)) + '\n';
  // A new connection's buffer is empty: the line fits; the client reads it after it is closed.
  [[maybe_unused]] auto sent = ::send(socket.native_handle(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  boost::system::error_code ignored;
  socket.close(ignored);
  ++refusals_;
  const auto now = std::chrono::steady_clock::now();
  if (last_refusal_warning_ && now - *last_refusal_warning_ < std::chrono::minutes(1)) return;
  last_refusal_warning_ = now;
  spdlog::warn("control: refused a connection on {} ({}): {} (refusals since the last warning: {})", path(), code,
               message, std::exchange(refusals_, 0));
}

std::size_t ControlServer::shed(std::size_t wanted) {
  std::erase_if(sessions_, [](const auto& weak) { return weak.expired(); });
  std::size_t closed = 0;
  const auto shed_where = [&](bool idle_only) {
    for (const auto& weak : sessions_) {
      if (closed == wanted) return;
      auto session = weak.lock();
      if (!session || !session->open() || (idle_only && !session->idle())) continue;
      session->shed("shed", "the supervisor ran short of file descriptors and closed this connection to keep its "
                            "gateways running; connect again later");
      ++closed;
    }
  };
  shed_where(true);
  shed_where(false);
  std::erase_if(sessions_, [](const auto& weak) {
    auto session = weak.lock();
    return !session || !session->open();
  });
  return closed;
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
