#pragma once
// A blocking HTTP/1.1 GET for tests, with one deadline for connect, send and receive.
#include <chrono>
#include <optional>
#include <string>

namespace moltbot::test {

struct HttpResponse {
  int status = 0;
  std::string body;
};

struct HttpResult {
  std::optional<HttpResponse> response;
  std::string error;  // "connection refused", "timed out", ... when there is no response

  bool ok() const { return response && response->status >= 200 && response->status < 300; }
};

HttpResult http_get(const std::string& host, int port, const std::string& path,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace moltbot::test
