#pragma once
// Signal names as operators write them: "SIGTERM", "TERM", "term" or "15".
#include <optional>
#include <string>
#include <string_view>

namespace moltbot {

// A signal number from a name (with or without "SIG", any case) or a number 1..SIGRTMAX.
std::optional<int> parse_signal(std::string_view text);

// "SIGTERM" for 15; "signal 40" for numbers without a name.
std::string signal_name(int signal);

}  // namespace moltbot
