#include "moltbot/common/ansi_escapes.h"

#include <cstring>
#include <string_view>

namespace moltbot {
namespace {

constexpr char esc = '\x1b';
constexpr char bel = '\a';

bool in(char c, unsigned char low, unsigned char high) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= low && byte <= high;
}

// Where the string of an OSC/DCS/SOS/PM/APC whose body starts at `at` ends (past its BEL or
// ESC \), or the end of the line when it is not terminated on it.
std::size_t end_of_string_sequence(std::string_view line, std::size_t at) {
  for (; at < line.size(); ++at) {
    if (line[at] == bel) return at + 1;
    if (line[at] == esc && at + 1 < line.size() && line[at + 1] == '\\') return at + 2;
  }
  return line.size();
}

// Where the CSI whose parameters start at `at` ends: past its final byte, at the first byte it
// cannot hold, or at the end of the line.
std::size_t end_of_csi(std::string_view line, std::size_t at) {
  while (at < line.size() && in(line[at], 0x30, 0x3F)) ++at;
  while (at < line.size() && in(line[at], 0x20, 0x2F)) ++at;
  if (at < line.size() && in(line[at], 0x40, 0x7E)) ++at;
  return at;
}

// Where the escape sequence starting with the ESC at `at` ends.
std::size_t end_of_sequence(std::string_view line, std::size_t at) {
  const std::size_t next = at + 1;
  if (next == line.size()) return next;
  switch (line[next]) {
    case '[': return end_of_csi(line, next + 1);
    case ']':
    case 'P':
    case 'X':
    case '^':
    case '_': return end_of_string_sequence(line, next + 1);
    default: break;
  }
  std::size_t end = next;
  while (end < line.size() && in(line[end], 0x20, 0x2F)) ++end;
  if (end < line.size() && in(line[end], 0x30, 0x7E)) return end + 1;
  // Not a sequence (ESC then a control byte or UTF-8): the ESC alone goes, unless intermediates
  // ran to the end of the line.
  return end == line.size() ? end : next;
}

}  // namespace

void strip_ansi_escapes(std::string& line) {
  const std::string_view text(line);
  std::size_t read = text.find(esc);
  if (read == std::string_view::npos) return;
  std::size_t write = read;
  while (read < text.size()) {
    read = end_of_sequence(text, read);
    const std::size_t next_esc = std::min(text.find(esc, read), text.size());
    std::memmove(line.data() + write, text.data() + read, next_esc - read);
    write += next_esc - read;
    read = next_esc;
  }
  line.resize(write);
}

}  // namespace moltbot
