#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "moltbot/common/json_string.h"

using moltbot::append_json_string;

namespace {

std::string as_json(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

// What nlohmann::json writes for the same string when told to replace invalid UTF-8.
std::string reference(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

TEST_CASE("JSON strings: escapes and UTF-8 pass through as nlohmann writes them", "[json_string]") {
  CHECK(as_json("") == "\"\"");
  CHECK(as_json("plain text") == "\"plain text\"");
  CHECK(as_json("say \"hi\" \\ bye") == R"("say \"hi\" \\ bye")");
  CHECK(as_json("a\nb\tc\r\b\f") == R"("a\nb\tc\r\b\f")");
  CHECK(as_json(std::string("nul\0x\x1f", 6)) == R"("nul\u0000x\u001f")");
  CHECK(as_json("grüße 日本 🦞") == "\"grüße 日本 🦞\"");
  CHECK(as_json("appended") == reference("appended"));
}

TEST_CASE("JSON strings: invalid UTF-8 becomes U+FFFD, one per maximal invalid prefix", "[json_string]") {
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(as_json("a\xFF" "b") == "\"a" + fffd + "b\"");
  CHECK(as_json("\xC0\xAF") == "\"" + fffd + fffd + "\"");             // overlong '/'
  CHECK(as_json("\xED\xA0\x80") == "\"" + fffd + fffd + fffd + "\"");  // a UTF-16 surrogate
  CHECK(as_json("\xE6\x97" "x") == "\"" + fffd + "x\"");                // cut short
  CHECK(as_json("end\xF0\x9F\xA6") == "\"end" + fffd + "\"");
  for (const char* text : {"a\xFF" "b", "\xC0\xAF", "\xED\xA0\x80", "\xE6\x97x", "end\xF0\x9F\xA6", "\xF4\x90\x80\x80"})
    CHECK(as_json(text) == reference(text));
}

TEST_CASE("JSON strings: random bytes are written exactly as nlohmann writes them", "[json_string]") {
  std::mt19937 random(20261125);
  // Mostly the bytes where UTF-8 and escaping have their edges.
  const std::vector<unsigned char> interesting{0x00, 0x1f, 0x20, '"',  '\\', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf,
                                              0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 'a'};
  for (int round = 0; round < 20000; ++round) {
    std::string text(random() % 12, '\0');
    for (char& c : text)
      c = static_cast<char>(random() % 2 ? interesting[random() % interesting.size()] : random() % 256);
    INFO("round " << round);
    REQUIRE(as_json(text) == reference(text));
  }
}
