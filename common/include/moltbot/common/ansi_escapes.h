#pragma once
// Terminal escape sequences (ECMA-48) in child output: the real gateway colours its output even
// into a pipe, and a log file or `logs` reader wants the text alone.
#include <string>

namespace moltbot {

// Removes, in place, every escape sequence of one line of output:
//   CSI     ESC [ parameters (0x30-0x3F) intermediates (0x20-0x2F) final (0x40-0x7E): colours,
//           cursor moves, erasing;
//   strings ESC ] (OSC: window titles, hyperlinks), ESC P, ESC X, ESC ^, ESC _ up to BEL or
//           ESC \ (string terminator);
//   others  ESC, intermediates (0x20-0x2F: ESC ( B selects a character set), one final byte
//           0x30-0x7E (ESC 7, ESC M, ESC c ...).
// A sequence cut off by the end of the line is removed up to there, as is a lone ESC. A CSI broken
// by a byte it cannot hold ends before that byte, which stays. Bytes >= 0x80 are never removed, so
// UTF-8 text is left whole; the 8-bit C1 forms (0x9B ...) are UTF-8 continuation bytes, not
// sequences. Touches nothing, and allocates nothing, when the line holds no ESC.
void strip_ansi_escapes(std::string& line);

}  // namespace moltbot
