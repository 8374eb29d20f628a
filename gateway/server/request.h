#pragma once
#include <string>

namespace moltbot::gateway {

struct Request {
  std::string method;
  std::string target;     // path and query as sent
  bool keep_alive = true;  // HTTP/1.1 default; "Connection: close" or HTTP/1.0 turn it off
};

}  // namespace moltbot::gateway
