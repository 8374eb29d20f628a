#include "reply.h"

#include <fmt/format.h>

#include "status_reason.h"

namespace moltbot::gateway {

std::string Reply::to_wire() const {
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{}",
      status, status_reason(status), body.size(), keep_alive ? "keep-alive" : "close", body);
}

}  // namespace moltbot::gateway
