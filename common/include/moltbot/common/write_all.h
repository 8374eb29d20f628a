#pragma once
// write(2) until everything is written: through short writes and EINTR.
#include <string_view>

namespace moltbot {

// True once all of `text` is written to `fd`; false with errno set when a write fails.
bool write_all(int fd, std::string_view text);

}  // namespace moltbot
