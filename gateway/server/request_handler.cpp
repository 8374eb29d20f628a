#include "request_handler.h"

#include <fmt/format.h>

namespace moltbot::gateway {

const char* role_name(ListenerRole role) {
  switch (role) {
    case ListenerRole::gateway: return "gateway";
    case ListenerRole::browser_control: return "browser-control";
    case ListenerRole::canvas_host: return "canvas-host";
    case ListenerRole::cdp: return "cdp";
  }
  return "unknown";
}

std::optional<Reply> RequestHandler::handle(const Request& request, ListenerRole role) const {
  if (source_.wedged()) return std::nullopt;
  if (request.method != "GET") return Reply{405, R"({"ok":false,"error":"method not allowed"})"};
  std::string path = request.target.substr(0, request.target.find('?'));
  if (role == ListenerRole::gateway) {
    source_.request_served();
    return handle_gateway(path);
  }
  if (path == "/") return Reply{200, fmt::format(R"({{"ok":true,"service":"{}"}})", role_name(role))};
  return Reply{404, R"({"ok":false,"error":"not found"})"};
}

// /readyz and /startupz answer as the real gateway's readiness and startup checkers do:
// 503 with the pending reason while starting, "gateway-draining" / "draining" while stopping.
Reply RequestHandler::handle_gateway(const std::string& path) const {
  const Startup startup = source_.startup();
  const long long uptime = source_.uptime_ms();
  if (path == "/healthz" || path == "/health") return Reply{200, R"({"ok":true,"status":"live"})"};
  if (path == "/readyz" || path == "/ready") {
    if (startup == Startup::starting) {
      return Reply{503, fmt::format(R"({{"ready":false,"failing":["{}"],"uptimeMs":{}}})", startup_pending_reason, uptime)};
    }
    if (startup == Startup::draining) {
      return Reply{503, fmt::format(R"({{"ready":false,"failing":["gateway-draining"],"uptimeMs":{}}})", uptime)};
    }
    return Reply{200, fmt::format(R"({{"ready":true,"failing":[],"uptimeMs":{}}})", uptime)};
  }
  if (path == "/startupz") {
    switch (startup) {
      case Startup::starting:
        return Reply{503, fmt::format(R"({{"ok":false,"status":"starting","version":"{}","uptimeMs":{},"pendingReason":"{}"}})",
                                      MOLTBOT_VERSION, uptime, startup_pending_reason)};
      case Startup::draining:
        return Reply{503, fmt::format(R"({{"ok":false,"status":"draining","version":"{}","uptimeMs":{}}})",
                                      MOLTBOT_VERSION, uptime)};
      case Startup::started:
        break;
    }
    return Reply{200, fmt::format(R"({{"ok":true,"status":"started","version":"{}","uptimeMs":{}}})", MOLTBOT_VERSION,
                                  uptime)};
  }
  if (path == "/status") return Reply{200, source_.status_json()};
  return Reply{404, R"({"ok":false,"error":"not found"})"};
}

}  // namespace moltbot::gateway
