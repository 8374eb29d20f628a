#pragma once
// Durations as operators write them in the manifest: "250ms", "5s", "2m", "1h", or a bare number
// of seconds ("1.5" and "1.5s" are fine as long as the result is whole milliseconds).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace moltbot {

// Longest duration accepted anywhere: a year keeps every sum of durations far from overflow.
inline constexpr std::chrono::milliseconds max_duration{365LL * 24 * 3600 * 1000};

// nullopt for anything else: negative, empty, unknown unit, sub-millisecond, over max_duration.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The largest unit that represents `value` exactly: 3600000 -> "1h", 90000 -> "90s",
// 1500 -> "1500ms", 0 -> "0s". parse_duration(format_duration(d)) == d.
std::string format_duration(std::chrono::milliseconds value);

}  // namespace moltbot
