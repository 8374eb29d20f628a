#pragma once
// Writing JSON text directly, for output too large or too frequent to build as a JSON tree first
// (the status of a whole fleet, on every `status` request).
#include <string>
#include <string_view>

namespace moltbot {

// Appends `text` as a quoted JSON string. Invalid UTF-8 (child output may hold anything) becomes
// U+FFFD, as nlohmann::json's error_handler_t::replace does, so the result is always valid JSON.
void append_json_string(std::string& out, std::string_view text);

}  // namespace moltbot
