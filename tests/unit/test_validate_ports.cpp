// Port rules of the validator on hand-built manifests: port-out-of-range, port-self-overlap,
// port-overlap, cdp-url-duplicate.
#include <catch2/catch.hpp>

#include "hand_built_fleet.h"
#include "moltbot/config/validate.h"
#include "validate_matchers.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::derived_profile;
using moltbot::test::fleet_of;
using moltbot::test::has_message;
using moltbot::test::pin;
using moltbot::test::with_code;

TEST_CASE("the documented main/rescue pair is valid", "[validate][ports]") {
  Profile main = derived_profile("main", 18789, 3);
  main.state_dir = "/home/op/.clawdbot-main";
  main.config_path = "/home/op/.clawdbot/main.json";
  Profile rescue = derived_profile("rescue", 19001, 6, Role::rescue);
  CHECK(validate(fleet_of({main, rescue})).empty());
}

TEST_CASE("base ports 120 apart do not overlap, 110 apart do", "[validate][ports]") {
  CHECK(validate(fleet_of({derived_profile("a", 18789, 3), derived_profile("b", 18900, 6)})).empty());
  auto found = validate(fleet_of({derived_profile("a", 18789, 3), derived_profile("b", 18899, 6)}));
  REQUIRE(found.size() == 1);
  CHECK(found[0].message == R"(profile "b": gateway port 18899 lies in the CDP range 18800..18899 of profile "a")");
}

TEST_CASE("base ports 20 apart collide: the later profile's ports lie in the CDP range", "[validate][ports]") {
  auto found = validate(fleet_of({derived_profile("main", 18789, 3), derived_profile("rescue", 18809, 13, Role::rescue)}));
  auto overlaps = with_code(found, "port-overlap");
  REQUIRE(found.size() == overlaps.size());
  // gateway, bridge, control, relay and canvas of "rescue" inside main's CDP range, plus the ranges.
  REQUIRE(overlaps.size() == 6);
  CHECK(has_message(found, std::string(R"(profile "rescue": gateway port 18809 lies in the CDP range 18800..18899 of profile "main")")));
  CHECK(has_message(found, std::string(R"(profile "rescue": canvas host port 18813 lies in the CDP range 18800..18899 of profile "main")")));
  CHECK(has_message(found, std::string(R"(profile "rescue": CDP range 18820..18919 overlaps the CDP range 18800..18899 of profile "main")")));
  for (const auto& d : overlaps) {
    CHECK(d.severity == Severity::error);
    CHECK(d.profile == "rescue");
    CHECK(d.where.file == "fleet.yaml");
    CHECK(d.where.line == 14);
    CHECK(d.where.column == 11);
    REQUIRE(d.related.size() == 2);
    CHECK(d.related[0].message == R"(profile "main" is defined here)");
    CHECK(d.related[0].where.line == 4);
    CHECK(d.related[0].where.column == 11);
    CHECK(d.related[1].message == R"(profile "rescue" is a rescue profile: it must share nothing with other profiles)");
    CHECK(d.related[1].where.line == 13);  // the rescue profile's own key
  }
}

TEST_CASE("a conflict is reported once, on whichever profile comes later", "[validate][ports]") {
  auto forward = validate(fleet_of({derived_profile("a", 18789, 3), derived_profile("b", 18791, 6)}));
  auto backward = validate(fleet_of({derived_profile("b", 18791, 3), derived_profile("a", 18789, 6)}));
  CHECK(forward.size() == backward.size());
  for (const auto& d : forward) CHECK(d.profile == "b");
  for (const auto& d : backward) CHECK(d.profile == "a");
  CHECK(has_message(forward, R"(profile "b": gateway port 18791 is also the browser control port 18791 of profile "a")"));
  CHECK(has_message(backward, R"(profile "a": browser control port 18791 is also the gateway port 18791 of profile "b")"));
  CHECK(has_message(backward, R"(profile "a": CDP range 18800..18899 overlaps the CDP range 18802..18901 of profile "b")"));
}

TEST_CASE("identical base ports collide on every port", "[validate][ports]") {
  auto found = validate(fleet_of({derived_profile("a", 18789, 3), derived_profile("b", 18789, 6)}));
  CHECK(with_code(found, "port-overlap").size() == 6);
  CHECK(has_message(found, R"(profile "b": gateway port 18789 is also the gateway port 18789 of profile "a")"));
}

TEST_CASE("a derived port past 65535 is an error naming the silent fallback", "[validate][ports]") {
  auto found = validate(fleet_of({derived_profile("edge", 65532, 3)}));
  auto out_of_range = with_code(found, "port-out-of-range");
  REQUIRE(out_of_range.size() == 2);  // canvas host (65536) and the CDP range; the rest still fit
  CHECK(out_of_range[0].message ==
        R"(profile "edge": canvas host port 65536 exceeds 65535; the gateway would silently fall back to 18793)");
  CHECK(out_of_range[1].message ==
        R"(profile "edge": CDP range 65543..65642 exceeds 65535; the gateway would silently fall back to 18800..18899)");
  CHECK(out_of_range[0].where.line == 4);
  CHECK(found.size() == 2);
}

TEST_CASE("ports that only collide after the fallback are caught", "[validate][ports]") {
  // 65530's canvas (65534) still fits, but its CDP range falls back onto main's 18800..18899.
  auto found = validate(fleet_of({derived_profile("main", 18789, 3), derived_profile("high", 65530, 6)}));
  CHECK(with_code(found, "port-out-of-range").size() == 1);
  CHECK(has_message(found, R"(profile "high": CDP range 18800..18899 (silent fallback from 65541..65640) overlaps the CDP range 18800..18899 of profile "main")"));

  // Two different high bases collide with each other through the same fallbacks.
  auto pair = validate(fleet_of({derived_profile("x", 65532, 3), derived_profile("y", 65533, 6)}));
  CHECK(has_message(pair, R"(profile "y": canvas host port 18793 (silent fallback from 65537) is also the canvas host port 18793 (silent fallback from 65536) of profile "x")"));
  CHECK(has_message(pair, R"(profile "y": CDP range 18800..18899 (silent fallback from 65544..65643) overlaps the CDP range 18800..18899 (silent fallback from 65543..65642) of profile "x")"));
}

TEST_CASE("a pinned port outside 1..65535 is out of range and not compared", "[validate][ports]") {
  Profile a = derived_profile("a", 18789, 3);
  pin(a, "canvas host", {70000, 70000}, 5);
  auto found = validate(fleet_of({a}));
  REQUIRE(found.size() == 1);
  CHECK(found[0].code == "port-out-of-range");
  CHECK(found[0].message == R"(profile "a": canvas host port 70000 is outside 1..65535)");
  CHECK(found[0].where.line == 5);
}

TEST_CASE("one profile's named ports must be distinct and outside its CDP range", "[validate][ports]") {
  SECTION("a named port pinned onto another") {
    Profile a = derived_profile("a", 18789, 3);
    pin(a, "canvas host", {18791, 18791}, 5);
    auto found = validate(fleet_of({a}));
    REQUIRE(found.size() == 1);
    CHECK(found[0].code == "port-self-overlap");
    CHECK(found[0].message == R"(profile "a": canvas host port 18791 is also the profile's browser control port)");
    CHECK(found[0].where.line == 5);
    REQUIRE(found[0].related.size() == 1);
    CHECK(found[0].related[0].message == "the browser control port 18791 is defined here");
  }
  SECTION("a named port inside the own CDP range") {
    Profile a = derived_profile("a", 18789, 3);
    pin(a, "canvas host", {18850, 18850}, 5);
    auto found = validate(fleet_of({a}));
    REQUIRE(found.size() == 1);
    CHECK(found[0].message == R"(profile "a": canvas host port 18850 lies in the profile's own CDP range 18800..18899)");
  }
  SECTION("a pinned CDP port equal to a named port") {
    Profile a = derived_profile("a", 18789, 3);
    pin(a, "CDP port of browser profile work", {18790, 18790}, 7);
    auto found = validate(fleet_of({a}));
    REQUIRE(found.size() == 1);
    CHECK(found[0].message == R"(profile "a": CDP port 18790 of browser profile work is also the profile's bridge port)");
    CHECK(found[0].where.line == 7);
  }
  SECTION("a pinned CDP port inside the own CDP range is the normal case") {
    Profile a = derived_profile("a", 18789, 3);
    pin(a, "CDP port of browser profile work", {18820, 18820}, 7);
    CHECK(validate(fleet_of({a})).empty());
  }
}

TEST_CASE("pinned CDP ports and cdpUrl ports count in the cross-profile check", "[validate][ports]") {
  Profile a = derived_profile("a", 18789, 3);
  Profile b = derived_profile("b", 19001, 6);
  pin(b, "CDP port of browser profile work", {18850, 18850}, 9);
  pin(b, "cdpUrl of browser profile remote", {18791, 18791}, 10);
  auto found = validate(fleet_of({a, b}));
  REQUIRE(found.size() == 2);
  CHECK(has_message(found, R"(profile "b": CDP port 18850 of browser profile work lies in the CDP range 18800..18899 of profile "a")"));
  CHECK(has_message(found, R"(profile "b": cdpUrl port 18791 of browser profile remote is also the browser control port 18791 of profile "a")"));

  Profile c = derived_profile("c", 19201, 12);
  pin(c, "CDP port of browser profile work", {18850, 18850}, 14);
  auto with_c = validate(fleet_of({a, b, c}));
  CHECK(has_message(with_c, R"(profile "c": CDP port 18850 of browser profile work is also the CDP port 18850 of browser profile work in profile "b")"));
}

TEST_CASE("the same cdpUrl in two profiles is an error", "[validate][ports]") {
  Profile a = derived_profile("a", 18789, 3);
  Profile b = derived_profile("b", 19001, 6);
  Profile c = derived_profile("c", 19201, 9);
  a.cdp_urls = {"http://chrome.lan:9222"};
  b.cdp_urls = {"http://chrome.lan:9222/", "http://other.lan:9222"};
  c.cdp_urls = {"http://other.lan:9223"};
  auto found = validate(fleet_of({a, b, c}));
  REQUIRE(found.size() == 1);
  CHECK(found[0].code == "cdp-url-duplicate");
  CHECK(found[0].profile == "b");
  CHECK(found[0].message == R"(profile "b": cdpUrl http://chrome.lan:9222/ is also pinned by profile "a")");
  REQUIRE(found[0].related.size() == 1);
  CHECK(found[0].related[0].message == R"(profile "a" is defined here)");
}
