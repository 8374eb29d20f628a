#pragma once
// A first pass over a request line, before it is parsed into a JSON tree: what JSON allows but a
// request may not have. nlohmann::json keeps the last of two equal keys silently, so
// {"command":"shutdown","command":"version"} would be a `version` to one reader and a `shutdown`
// to another; and a NUL (\u0000) in a string is cut off by every C string the value meets (a
// path, a process name, what()).
#include <optional>
#include <string_view>

#include "moltbot/control/protocol.h"

namespace moltbot::control {

// bad-json when the line is not JSON (even when it has one of the problems below before the
// syntax error); else bad-request naming the key (as a path: "args.argv[2]") for the first key
// that appears twice in one object or key or string holding a NUL; else nothing. Iterative: a
// line nested as deep as 64 KiB allows costs no stack.
std::optional<CommandError> scan_request(std::string_view line);

}  // namespace moltbot::control
