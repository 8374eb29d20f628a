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
  if (role == ListenerRole::gateway) return handle_gateway(path);
  if (path == "/") return Reply{200, fmt::format(R"({{"ok":true,"service":"{}"}})", role_name(role))};
  return Reply{404, R"({"ok":false,"error":"not found"})"};
}

Reply RequestHandler::handle_gateway(const std::string& path) const {
  const bool draining = source_.draining();
  const long long uptime = source_.uptime_ms();
  if (path == "/healthz" || path == "/health") return Reply{200, R"({"ok":true,"status":"live"})"};
  if (path == "/readyz" || path == "/ready") {
    if (draining) return Reply{503, fmt::format(R"({{"ready":false,"failing":["draining"],"uptimeMs":{}}})", uptime)};
    return Reply{200, fmt::format(R"({{"ready":true,"failing":[],"uptimeMs":{}}})", uptime)};
  }
  if (path == "/startupz") {
    return Reply{draining ? 503 : 200,
                 fmt::format(R"({{"ok":{},"status":"{}","version":"{}","uptimeMs":{}}})", !draining,
                             draining ? "draining" : "started", MOLTBOT_VERSION, uptime)};
  }
  if (path == "/status") return Reply{200, source_.status_json()};
  return Reply{404, R"({"ok":false,"error":"not found"})"};
}

}  // namespace moltbot::gateway
