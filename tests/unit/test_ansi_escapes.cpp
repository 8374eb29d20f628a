// Escape sequences out of child output lines, UTF-8 text left whole.
#include <catch2/catch.hpp>
#include <string>

#include "moltbot/common/ansi_escapes.h"

using moltbot::strip_ansi_escapes;

namespace {

std::string stripped(std::string line) {
  strip_ansi_escapes(line);
  return line;
}

}  // namespace

TEST_CASE("ANSI: a line without ESC is left as it is", "[ansi]") {
  CHECK(stripped("") == "");
  CHECK(stripped("plain [31m text; with ] and \\ ^ _") == "plain [31m text; with ] and \\ ^ _");
  CHECK(stripped("tab\there, bell\a, cr\r") == "tab\there, bell\a, cr\r");
}

TEST_CASE("ANSI: colours and text attributes (SGR)", "[ansi]") {
  CHECK(stripped("\x1b[31mred\x1b[0m") == "red");
  CHECK(stripped("\x1b[mreset only") == "reset only");
  CHECK(stripped("a\x1b[1;38;5;208mb\x1b[38;2;10;20;30mc\x1b[39;49md") == "abcd");
  // The real gateway's form: subsystem tag in colour, then the message.
  CHECK(stripped("\x1b[90m2026-09-06T10:00:00.000Z\x1b[39m \x1b[36m[gateway]\x1b[39m listening on ws://127.0.0.1:23592") ==
        "2026-09-06T10:00:00.000Z [gateway] listening on ws://127.0.0.1:23592");
  CHECK(stripped("\x1b[31m\x1b[1m\x1b[4m") == "");
}

TEST_CASE("ANSI: cursor moves, erasing, private modes and intermediates", "[ansi]") {
  CHECK(stripped("\x1b[2K\x1b[1Gprogress 50%") == "progress 50%");
  CHECK(stripped("\x1b[3Aup\x1b[10;20Hat\x1b[Jdone") == "upatdone");
  CHECK(stripped("\x1b[?25lhidden cursor\x1b[?25h") == "hidden cursor");
  CHECK(stripped("\x1b[?2004h\x1b[>4;1mkeys") == "keys");
  CHECK(stripped("\x1b[2 qsteady block") == "steady block");  // intermediate byte (space) before the final
}

TEST_CASE("ANSI: OSC ends with BEL or with ST", "[ansi]") {
  CHECK(stripped("\x1b]0;gateway main\aafter title") == "after title");
  CHECK(stripped("\x1b]2;title with ST\x1b\\after") == "after");
  CHECK(stripped("see \x1b]8;;https://docs.openclaw.ai\x1b\\the docs\x1b]8;;\x1b\\ now") == "see the docs now");
  // A title may hold anything up to its terminator, even '[' and ESC-less control bytes.
  CHECK(stripped("\x1b]0;a [31m b\tc\abody") == "body");
  // Other string sequences (DCS, SOS, PM, APC) end the same way.
  CHECK(stripped("a\x1bPq#0;2;0;0;0\x1b\\b\x1bXsos\x1b\\c\x1b^pm\ad\x1b_apc\x1b\\e") == "abcde");
}

TEST_CASE("ANSI: two-byte sequences and character sets", "[ansi]") {
  CHECK(stripped("\x1b(Bascii\x1b)0") == "ascii");
  CHECK(stripped("\x1b" "7saved\x1b" "8") == "saved");
  CHECK(stripped("\x1bMreverse index\x1b" "Dindex\x1b" "Enext line") == "reverse indexindexnext line");
  CHECK(stripped("\x1b" "cfull reset\x1b=\x1b>") == "full reset");
  CHECK(stripped("\x1b#8alignment\x1b%Gutf8") == "alignmentutf8");
}

TEST_CASE("ANSI: a sequence cut off by the end of the line goes up to there", "[ansi]") {
  CHECK(stripped("text\x1b") == "text");
  CHECK(stripped("text\x1b[") == "text");
  CHECK(stripped("text\x1b[38;5;") == "text");
  CHECK(stripped("text\x1b]0;title never ended") == "text");
  CHECK(stripped("text\x1b]0;title ended by ESC alone\x1b") == "text");
  CHECK(stripped("text\x1b(") == "text");
  CHECK(stripped("\x1b") == "");
}

TEST_CASE("ANSI: malformed sequences lose the escape, keep what cannot be part of it", "[ansi]") {
  // A CSI broken by a new ESC: the broken one ends there and the next is read afresh.
  CHECK(stripped("a\x1b[31\x1b[0mb") == "ab");
  // A CSI broken by a control byte or by UTF-8: that byte stays.
  CHECK(stripped("a\x1b[31\tb") == "a\tb");
  CHECK(stripped("a\x1b[12\xc3\xa9t\xc3\xa9") == "a\xc3\xa9t\xc3\xa9");
  // ESC before a control byte or UTF-8: only the ESC goes.
  CHECK(stripped("a\x1b\nb") == "a\nb");
  CHECK(stripped("a\x1b\xe2\x82\xac") == "a\xe2\x82\xac");
  CHECK(stripped("\x1b\x1b[1mbold") == "bold");
}

TEST_CASE("ANSI: UTF-8 next to sequences is untouched", "[ansi]") {
  CHECK(stripped("\x1b[32m\xe2\x9c\x93\x1b[0m gr\xc3\xbc\xc3\x9f dich \xf0\x9f\xa6\x9e") ==
        "\xe2\x9c\x93 gr\xc3\xbc\xc3\x9f dich \xf0\x9f\xa6\x9e");
  CHECK(stripped("\xe6\x97\xa5\xe6\x9c\xac\x1b]0;\xe6\xa8\x99\xe9\xa1\x8c\a\xe8\xaa\x9e") == "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
  // 0x9B is CSI in 8-bit C1 form, and a UTF-8 continuation byte: text wins.
  CHECK(stripped("\xe2\x9b\x94 no entry\x1b[0m") == "\xe2\x9b\x94 no entry");
  // Invalid UTF-8 is not ours to fix: it passes as it came.
  CHECK(stripped("\xff\xfe\x1b[1m\x80") == "\xff\xfe\x80");
}

TEST_CASE("ANSI: a long line with many sequences keeps every piece of text in order", "[ansi]") {
  std::string line, expected;
  for (int i = 0; i < 1000; ++i) {
    line += "\x1b[" + std::to_string(30 + i % 8) + "m" + std::to_string(i) + "\x1b[0m,";
    expected += std::to_string(i) + ",";
  }
  CHECK(stripped(line) == expected);
}
