#pragma once
// How moltbot-supervisorctl shows replies and stream lines to a person (with --json it prints
// the data as it came instead).
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace moltbot::ctl {

// `escape_controls`: log lines and events, which carry gateway output and process names, are
// printed with their control characters as visible escapes (moltbot::visible_controls), so none
// can retitle or clear the operator's terminal or forge a line with a carriage return. For a
// terminal without --raw; a pipe gets the bytes as they came.

// The ok reply's `data` of `command`.
void print_reply(const std::string& command, const nlohmann::json& data, std::ostream& out, bool colour,
                 bool escape_controls);
// One stream line: {"event":...}, {"progress":...} or {"log":...}.
void print_stream_line(const nlohmann::json& message, std::ostream& out, bool escape_controls);
// An error reply's error object: "moltbot-supervisorctl: MESSAGE [CODE]".
void print_error(const nlohmann::json& error, std::ostream& out);
// Diagnostics as `check --json` gives them (a reload's invalid manifest), printed compiler-style
// the way `check` prints them.
void print_diagnostics(const nlohmann::json& diagnostics, std::ostream& out);

}  // namespace moltbot::ctl
