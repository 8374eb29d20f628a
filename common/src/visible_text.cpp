#include "moltbot/common/visible_text.h"

#include <fmt/format.h>

namespace moltbot {
namespace {

// Appends `text` to `out` with its control characters escaped; `in_quotes` also escapes tab, `"`
// and `\`.
void append_visible(std::string& out, std::string_view text, bool in_quotes) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) {
        fmt::format_to(std::back_inserter(out), "\\u{:04x}", next);
        ++i;
        continue;
      }
    }
    if (byte == '\t' && !in_quotes) {
      out += '\t';
    } else if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\r') {
      out += "\\r";
    } else if (byte == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", byte);
    } else if (in_quotes && (byte == '"' || byte == '\\')) {
      out += '\\';
      out += static_cast<char>(byte);
    } else {
      out += static_cast<char>(byte);
    }
  }
}

}  // namespace

std::string visible_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_visible(out, text, false);
  return out;
}

std::string quoted_visible(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  append_visible(out, text, true);
  out += '"';
  return out;
}

}  // namespace moltbot
