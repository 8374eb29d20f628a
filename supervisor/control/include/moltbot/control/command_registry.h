#pragma once
// Commands are registered definitions {name, handler}; dispatch() is the single catch boundary:
// whatever goes wrong in parsing or in a handler becomes an error reply, never a dropped
// connection. It knows nothing about sockets: replies go to a ReplySink.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "moltbot/control/protocol.h"
#include "moltbot/runtime/guarded.h"

namespace moltbot::control {

// Where one client's replies go.
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // A reply or a stream line; always delivered in order.
  virtual void send(const nlohmann::json& message) = 0;
  // A reply already written as one JSON line (no newline), for data too costly to build as a
  // JSON tree on every request (`status`).
  virtual void send_serialized(std::string line) = 0;
  // A line of a stream; dropped (and counted, and reported to the client) when the client reads
  // too slowly, so a stalled reader never holds the supervisor up.
  virtual void send_stream(const nlohmann::json& message) = 0;
  // Keeps `holder` (a subscription) alive as long as the client stays connected.
  virtual void keep_until_closed(std::shared_ptr<void> holder) = 0;
  // Something done for this client failed (`failure` says what): it gets an `internal` error
  // reply and its connection is closed, its streams and waits with it. No other client notices.
  virtual void fail(const std::string& failure) = 0;
  // The client's connection, for a reply written by another process image (`reexec`); -1 when
  // there is none.
  virtual int connection() const { return -1; }

  // Runs `body` (a stream line, a wait's progress: what is done for this client later, from
  // the event loop) inside the catch boundary (runtime/guarded.h): a failure fails this client.
  template <typename Body>
  void run_guarded(runtime::Handler kind, Body&& body) {
    runtime::guarded(kind, {}, body, [this](const std::string& failure) { fail(failure); });
  }
};

class CommandRegistry {
 public:
  // A handler's return value is sent as the `data` of an ok reply. std::nullopt means the
  // handler replies itself through the sink (streams, requests that wait).
  using Handler = std::function<std::optional<nlohmann::json>(const Request&, ReplySink&)>;

  void add(std::string name, Handler handler);
  // `peer`: who sent the line, handed to the handler in Request::peer.
  void dispatch(std::string_view line, const Peer& peer, ReplySink& sink) const;
  // Requests dispatched so far, by command; "unknown" for any name no command has, "malformed"
  // for lines that are no request (so clients cannot add names).
  const std::map<std::string, std::uint64_t, std::less<>>& requests() const { return requests_; }

 private:
  std::map<std::string, Handler, std::less<>> commands_;
  mutable std::map<std::string, std::uint64_t, std::less<>> requests_;
};

}  // namespace moltbot::control
