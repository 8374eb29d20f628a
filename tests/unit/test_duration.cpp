#include <catch2/catch.hpp>

#include "moltbot/common/duration.h"

using moltbot::format_duration;
using moltbot::parse_duration;
using std::chrono::milliseconds;

TEST_CASE("durations with a unit", "[duration]") {
  CHECK(parse_duration("250ms") == milliseconds(250));
  CHECK(parse_duration("5s") == milliseconds(5000));
  CHECK(parse_duration("2m") == milliseconds(120000));
  CHECK(parse_duration("1h") == milliseconds(3600000));
  CHECK(parse_duration("0s") == milliseconds(0));
}

TEST_CASE("a bare number is seconds", "[duration]") {
  CHECK(parse_duration("5") == milliseconds(5000));
  CHECK(parse_duration("0") == milliseconds(0));
  CHECK(parse_duration("1.5") == milliseconds(1500));
}

TEST_CASE("decimals are exact and must come to whole milliseconds", "[duration]") {
  CHECK(parse_duration("1.5s") == milliseconds(1500));
  CHECK(parse_duration("0.1s") == milliseconds(100));
  CHECK(parse_duration("0.25m") == milliseconds(15000));
  CHECK(parse_duration("2.000ms") == milliseconds(2));
  CHECK_FALSE(parse_duration("1.5ms"));
  CHECK_FALSE(parse_duration("0.0001s"));
}

TEST_CASE("negative, empty and malformed durations are rejected", "[duration]") {
  for (const char* bad : {"", "-5s", "-1", "+5s", "5x", "s", "ms", "5 s", " 5s", "5s ", "1.", ".5s", "1..5s", "5S",
                          "1h30m", "abc", "5sms", "0x10"}) {
    INFO("input: \"" << bad << "\"");
    CHECK_FALSE(parse_duration(bad));
  }
}

TEST_CASE("durations beyond a year are rejected instead of overflowing", "[duration]") {
  CHECK(parse_duration("8760h") == moltbot::max_duration);
  CHECK_FALSE(parse_duration("8761h"));
  CHECK_FALSE(parse_duration("99999999999999999999999s"));
  CHECK_FALSE(parse_duration("9223372036854775807ms"));
}

TEST_CASE("formatting picks the largest exact unit and round-trips", "[duration]") {
  CHECK(format_duration(milliseconds(0)) == "0s");
  CHECK(format_duration(milliseconds(250)) == "250ms");
  CHECK(format_duration(milliseconds(1500)) == "1500ms");
  CHECK(format_duration(milliseconds(5000)) == "5s");
  CHECK(format_duration(milliseconds(90000)) == "90s");
  CHECK(format_duration(milliseconds(120000)) == "2m");
  CHECK(format_duration(milliseconds(7200000)) == "2h");
  for (long long ms : {0LL, 1LL, 999LL, 1000LL, 61000LL, 3600000LL, 3601000LL})
    CHECK(parse_duration(format_duration(milliseconds(ms))) == milliseconds(ms));
}
