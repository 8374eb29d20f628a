#pragma once
// An HTTP reply as the request handler decides it; the connection only serialises and sends it.
#include <string>

namespace moltbot::gateway {

struct Reply {
  int status = 200;
  std::string body;  // JSON
  bool keep_alive = true;

  // Status line, headers (Content-Type, Content-Length, Connection) and body.
  std::string to_wire() const;
};

}  // namespace moltbot::gateway
