#pragma once
// One HTTP GET to a gateway on 127.0.0.1, for the CLI commands (`gateway status`, `gateway
// restart`): connect, send, read to the end, all within one deadline.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace moltbot::gateway {

struct HttpReply {
  int status = 0;
  std::string body;
};

struct HttpOutcome {
  std::optional<HttpReply> reply;
  std::string error;  // when reply is empty: "Connection refused", "timed out after 2000ms", ...
};

HttpOutcome get_local(int port, std::string_view path, std::chrono::milliseconds timeout);

}  // namespace moltbot::gateway
