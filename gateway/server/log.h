#pragma once
// One line per event on stderr, prefixed with the program and pid; stderr is unbuffered, so each
// line reaches the supervisor's log in one write.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <utility>

namespace moltbot::gateway {

template <typename... Args>
void log_line(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "moltbot-gateway[{}]: {}\n", ::getpid(), fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace moltbot::gateway
