#pragma once
// Maps a request to a reply without knowing about sockets. Endpoints follow the real gateway's
// (docs/gateway.md, "Endpoints"); the browser control, canvas host and held CDP listeners only
// identify themselves.
#include <optional>
#include <string>

#include "reply.h"
#include "request.h"

namespace moltbot::gateway {

enum class ListenerRole { gateway, browser_control, canvas_host, cdp };

const char* role_name(ListenerRole role);

// The gateway's startup as /startupz reports it, like the real gateway: starting (listening and
// live, startup sidecars pending), started, or draining (stopping or restarting).
enum class Startup { starting, started, draining };

inline constexpr const char* startup_pending_reason = "startup-sidecars";

// What the handler needs to know about the running gateway.
class StatusSource {
 public:
  virtual ~StatusSource() = default;
  virtual Startup startup() const = 0;
  virtual bool wedged() const = 0;  // the stop_health_after test fault has fired
  virtual long long uptime_ms() const = 0;
  virtual std::string status_json() const = 0;  // the body of GET /status
  // A request to the gateway port is being answered: the gateway counts it in its state database.
  virtual void request_served() = 0;
};

class RequestHandler {
 public:
  explicit RequestHandler(StatusSource& source) : source_(source) {}
  RequestHandler(const RequestHandler&) = delete;
  RequestHandler& operator=(const RequestHandler&) = delete;

  // Nothing while the gateway is wedged: the request is never answered.
  std::optional<Reply> handle(const Request& request, ListenerRole role) const;

 private:
  Reply handle_gateway(const std::string& path) const;

  StatusSource& source_;
};

}  // namespace moltbot::gateway
