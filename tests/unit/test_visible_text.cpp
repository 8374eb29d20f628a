// Control characters of outside text made visible: in messages (quoted) and on terminals.
#include <catch2/catch.hpp>
#include <string>

#include "moltbot/common/visible_text.h"

using moltbot::quoted_visible;
using moltbot::visible_controls;
using namespace std::string_literals;

TEST_CASE("visible text: plain text, UTF-8 and invalid bytes are kept", "[visible]") {
  CHECK(visible_controls("") == "");
  CHECK(visible_controls("listening on ws://127.0.0.1:18789 [gateway] \\ \"x\"") ==
        "listening on ws://127.0.0.1:18789 [gateway] \\ \"x\"");
  CHECK(visible_controls("caf\xc3\xa9 \xf0\x9f\x98\x80 \xff\xfe") == "caf\xc3\xa9 \xf0\x9f\x98\x80 \xff\xfe");
  CHECK(visible_controls("col\tumns") == "col\tumns");
  // U+00A0 (C2 A0) is just past the C1 controls.
  CHECK(visible_controls("a\xc2\xa0" "b") == "a\xc2\xa0" "b");
}

TEST_CASE("visible text: terminal controls become escapes", "[visible]") {
  // A window title, a cleared screen, a carriage return forging a supervisor line, a bell.
  CHECK(visible_controls("\x1b]0;pwned\x07") == "\\x1b]0;pwned\\x07");
  CHECK(visible_controls("\x1b[2J\x1b[H") == "\\x1b[2J\\x1b[H");
  CHECK(visible_controls("ok\r[supervisor] restarted") == "ok\\r[supervisor] restarted");
  CHECK(visible_controls("a\nb") == "a\\nb");
  CHECK(visible_controls("nul\0here"s) == "nul\\x00here");
  CHECK(visible_controls("del\x7f") == "del\\x7f");
  // C1 CSI (U+009B) and NEL (U+0085) as UTF-8.
  CHECK(visible_controls("\xc2\x9b" "2J\xc2\x85") == "\\u009b2J\\u0085");
  // A lone C2 at the end is invalid UTF-8, kept as it is.
  CHECK(visible_controls("end\xc2") == "end\xc2");
}

TEST_CASE("visible text: a quoted name shows where it ends", "[visible]") {
  CHECK(quoted_visible("main") == "\"main\"");
  CHECK(quoted_visible("") == "\"\"");
  CHECK(quoted_visible("ma\0in"s) == "\"ma\\x00in\"");
  CHECK(quoted_visible("a\"b\\c\td") == "\"a\\\"b\\\\c\\td\"");
  CHECK(quoted_visible("\x1b[31mred") == "\"\\x1b[31mred\"");
}
