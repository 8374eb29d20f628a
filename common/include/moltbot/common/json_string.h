#pragma once
// Writing JSON text. Text from outside (a gateway's output, a process name from /proc, a path, a
// CLI's stderr) may be any bytes, and JSON carries UTF-8 only: every writer of the supervisor
// replaces invalid UTF-8 with U+FFFD, one per maximal invalid prefix, the same bytes whichever
// of the two ways below writes it, so no outside text can make a writer throw.
#include <string>
#include <string_view>

namespace moltbot {

// Appends `text` as a quoted JSON string: for output too large or too frequent to build as a JSON
// tree first (the status of a whole fleet, on every `status` request).
void append_json_string(std::string& out, std::string_view text);

// A JSON tree (nlohmann::json or ordered_json) as text, with nlohmann's error_handler_t::replace,
// whose output append_json_string reproduces byte for byte. `indent` as in dump() (-1: one line).
template <typename Json>
std::string json_text(const Json& value, int indent = -1) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace moltbot
