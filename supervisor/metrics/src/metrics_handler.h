#pragma once
// Maps one HTTP request to its reply, knowing nothing about sockets: GET (or HEAD) /metrics is the
// exposition, any other path 404, any other method 405.
#include <functional>
#include <string>

#include "request.h"

namespace moltbot::metrics {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  bool head = false;  // a HEAD request: the headers of the body, without it

  // Status line and headers (the connection is closed after every reply), then the body.
  std::string to_wire() const;
};

class MetricsHandler {
 public:
  explicit MetricsHandler(std::function<std::string()> render) : render_(std::move(render)) {}

  HttpReply handle(const gateway::Request& request) const;
  // The reply to a request head that cannot be parsed or is too large.
  static HttpReply bad_request();

 private:
  std::function<std::string()> render_;
};

}  // namespace moltbot::metrics
