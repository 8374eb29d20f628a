#pragma once
// Incremental parser of request heads (request line and headers). Pure: no I/O. Bodies are not
// supported, which is all the gateway's GET endpoints need; a request announcing one is refused.
#include <cstddef>
#include <string>
#include <string_view>

#include "request.h"

namespace moltbot::gateway {

class RequestParser {
 public:
  enum class Status { incomplete, complete, bad };

  void append(std::string_view data) { buffer_.append(data); }

  // When a whole head is buffered, parses it into `request` and drops it from the buffer; bytes
  // after it stay for the next request on the connection (pipelining).
  Status next(Request& request);

 private:
  static constexpr std::size_t max_head_size = 8192;
  std::string buffer_;
};

}  // namespace moltbot::gateway
