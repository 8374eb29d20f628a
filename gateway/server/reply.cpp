#include "reply.h"

#include <fmt/format.h>

namespace moltbot::gateway {
namespace {

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

}  // namespace

std::string Reply::to_wire() const {
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n{}",
      status, reason(status), body.size(), keep_alive ? "keep-alive" : "close", body);
}

}  // namespace moltbot::gateway
