#pragma once
// The control socket: accepts connections on the daemon's io_context, checks each peer's
// credentials (SO_PEERCRED) and hands permitted ones to a ControlSession. It keeps weak
// references to its sessions, oldest first, to close them at shutdown or to shed them. When
// accept() fails (out of descriptors: EMFILE, ENFILE), it waits about `accept_retry` (drawn from
// half to one and a half of it) before trying again instead of spinning on the still-ready
// listener, and says so at most once a minute.
//
// While `has_room` says the supervisor cannot spare a descriptor (ResourceGuard), it accepts
// nothing, the same way: new clients wait in the kernel's listen queue. A paused accept is tried
// again as soon as one of its connections closes (its descriptor is free), not only when the wait
// is over: under a shortage, clients that left are drained from the queue at the loop's pace.
// At most `max_connections` are served at once; a connection past that is answered
// `too-many-connections` and closed at once, costing no descriptor beyond that moment. Refusals
// are logged at most once a minute, with their number.
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "moltbot/config/manifest.h"
#include "moltbot/control/command_registry.h"
#include "moltbot/control/control_session.h"
#include "moltbot/control/socket_file.h"

namespace moltbot::control {

struct ServerOptions {
  std::string socket_path;
  std::optional<std::string> socket_group;
  // Who else is served, and what (peer_grants.h); their users and groups may connect() through an
  // ACL on the socket's file (socket_acl.h).
  std::vector<config::ControlGrant> grants;
  SessionLimits limits;
  std::chrono::milliseconds accept_retry{100};
  std::size_t max_connections = 256;
  std::function<bool()> has_room;  // none: always
  // The listener a re-exec kept open: served as it is, nothing is bound.
  std::optional<int> listening_fd;
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
  // For a re-exec to keep open: pending clients wait in its queue meanwhile.
  int listening_fd() { return acceptor_.native_handle(); }
  // For a re-exec: the connections between two requests (but `except`), to keep open across the
  // exec; the next image serves them again with adopt(). The others are closed by the exec.
  std::vector<int> connections_between_requests(int except);
  void adopt(const std::vector<int>& connections);
  // Closes up to `wanted` connections to give their descriptors back: idle ones first, then the
  // oldest; each is told why (`shed`). Returns how many were closed.
  std::size_t shed(std::size_t wanted);
  // control.grants as a reload changed them: the socket file's ACL first (on failure, why, and
  // nothing changed), then whom new connections serve. Connections served through the old grants
  // are closed with a `grants-changed` error: a stream they follow may no longer be theirs.
  std::optional<std::string> replace_grants(std::vector<config::ControlGrant> grants);

 private:
  ControlServer(boost::asio::io_context& io, const ServerOptions& options, const CommandRegistry& commands,
                std::optional<gid_t> group);
  void do_accept();
  void admit(ControlSession::Socket socket);
  void retry_accept_later(const std::string& why);
  // A connection closed, or the wait is over: a paused accept is tried again now (once for both).
  void resume_accepting();
  // Answers `code` and closes at once, without a session.
  void refuse_now(ControlSession::Socket& socket, const std::string& code, const std::string& message);

  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::optional<SocketFile> file_;
  const CommandRegistry& commands_;
  SessionLimits limits_;
  boost::asio::steady_timer accept_retry_timer_;
  std::chrono::milliseconds accept_retry_;
  std::minstd_rand random_{std::random_device{}()};
  bool accept_paused_ = false;  // retry_accept_later's wait is under way
  std::uint64_t accept_failures_ = 0;  // since the last warning
  std::optional<std::chrono::steady_clock::time_point> last_accept_warning_;
  std::size_t max_connections_;
  std::function<bool()> has_room_;
  std::uint64_t refusals_ = 0;  // since the last warning
  std::optional<std::chrono::steady_clock::time_point> last_refusal_warning_;
  std::optional<gid_t> group_;
  std::vector<config::ControlGrant> grants_;
  uid_t own_uid_;
  std::vector<std::weak_ptr<ControlSession>> sessions_;
  // A session's close hook may run after the server is gone (its handlers hold it): it looks here first.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace moltbot::control
