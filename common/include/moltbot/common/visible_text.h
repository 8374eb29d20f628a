#pragma once
// Text from outside (a gateway's output, a profile or command name from a request, a process name
// from /proc) shown to a person: its control characters written as visible escapes, so none can
// move a terminal's cursor, retitle its window, clear its screen, or end a message early (a NUL
// cuts what() and every C string).
#include <string>
#include <string_view>

namespace moltbot {

// `text` with every control character written out: C0 (0x00-0x1F) other than tab as `\r`, `\n`,
// `\x1b` ..., DEL as `\x7f`, and the C1 controls (U+0080-U+009F, as UTF-8: some terminals act on
// them like ESC [) as `\u009b`. Everything else, other UTF-8 and invalid bytes included, is kept.
std::string visible_controls(std::string_view text);

// `"text"` for a message: visible_controls, and tab, `"` and `\` escaped too, so the quotes
// always mark where the name begins and ends.
std::string quoted_visible(std::string_view text);

}  // namespace moltbot
