#include "metrics_handler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <exception>

#include "status_reason.h"

namespace moltbot::metrics {

namespace {

// What Prometheus asks for and accepts in its Accept header.
constexpr const char* exposition_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

std::string HttpReply::to_wire() const {
  auto wire = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
                          status, gateway::status_reason(status), content_type, body.size(),
                          status == 405 ? "Allow: GET, HEAD\r\n" : "");
  if (!head) wire += body;
  return wire;
}

HttpReply MetricsHandler::handle(const gateway::Request& request) const {
  const auto path = std::string_view(request.target).substr(0, request.target.find('?'));
  if (path != "/metrics") return {404, "text/plain; charset=utf-8", "only /metrics is served here\n"};
  if (request.method != "GET" && request.method != "HEAD")
    return {405, "text/plain; charset=utf-8", "use GET or HEAD\n"};
  // The single catch boundary of a scrape: whatever fails is this scrape's 500, never the supervisor's end.
  try {
    return {200, exposition_type, render_(), request.method == "HEAD"};
  } catch (const std::exception& error) {
    spdlog::error("metrics: cannot render /metrics: {}", error.what());
    return {500, "text/plain; charset=utf-8", "internal error\n"};
  }
}

HttpReply MetricsHandler::bad_request() { return {400, "text/plain; charset=utf-8", "bad request\n"}; }

}  // namespace moltbot::metrics
