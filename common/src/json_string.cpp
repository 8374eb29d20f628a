#include "moltbot/common/json_string.h"

#include <cstddef>

namespace moltbot {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

bool continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

struct Sequence {
  std::size_t length;  // of the sequence, or of its maximal invalid prefix (replaced as one)
  bool valid;
};

// The UTF-8 sequence at text[at], whose first byte is not ASCII.
Sequence utf8_sequence(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t offset) {
    return at + offset < text.size() ? static_cast<unsigned char>(text[at + offset]) : 0;
  };
  const unsigned char lead = byte(0);
  // The second byte's range excludes overlong forms, surrogates and code points above U+10FFFF.
  unsigned char low = 0x80, high = 0xBF;
  std::size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {1, false};
  }
  if (byte(1) < low || byte(1) > high) return {1, false};
  for (std::size_t offset = 2; offset < length; ++offset)
    if (!continuation(byte(offset))) return {offset, false};
  return {length, true};
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain_from = 0;  // start of the run of bytes copied as they are
  for (std::size_t at = 0; at < text.size();) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte >= 0x20 && byte != '"' && byte != '\\' && byte < 0x80) {
      ++at;
      continue;
    }
    std::size_t length = 1;
    if (byte >= 0x80) {
      auto sequence = utf8_sequence(text, at);
      if (sequence.valid) {
        at += sequence.length;
        continue;
      }
      length = sequence.length;
    }
    out.append(text, plain_from, at - plain_from);
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out += hex[byte >> 4];
          out += hex[byte & 0xF];
        } else {
          out += replacement;
        }
    }
    at += length;
    plain_from = at;
  }
  out.append(text, plain_from, text.size() - plain_from);
  out += '"';
}

}  // namespace moltbot
