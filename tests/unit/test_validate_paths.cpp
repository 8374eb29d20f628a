// path-overlap on hand-built manifests: shared and nested state dirs, workspaces and config
// folders across profiles.
#include <catch2/catch.hpp>

#include "hand_built_fleet.h"
#include "moltbot/config/validate.h"
#include "validate_matchers.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::derived_profile;
using moltbot::test::fleet_of;
using moltbot::test::has_message;
using moltbot::test::with_code;

namespace {

// Two profiles whose ports are far apart, so only their paths can clash.
std::pair<Profile, Profile> apart() {
  Profile a = derived_profile("a", 18789, 3);
  Profile b = derived_profile("b", 20001, 8);
  a.field_locations["state_dir"] = {"fleet.yaml", 5, 16};
  a.field_locations["workspace"] = {"fleet.yaml", 6, 16};
  b.field_locations["state_dir"] = {"fleet.yaml", 10, 16};
  b.field_locations["workspace"] = {"fleet.yaml", 11, 16};
  b.field_locations["config_path"] = {"fleet.yaml", 12, 18};
  return {a, b};
}

}  // namespace

TEST_CASE("default paths of different profiles do not clash", "[validate][paths]") {
  // ~/.clawdbot (profile "default") is a string prefix of ~/.clawdbot-main, but not its parent.
  auto found = validate(fleet_of({derived_profile("default", 18789, 3), derived_profile("main", 19001, 6),
                                  derived_profile("main-2", 19201, 9)}));
  CHECK(found.empty());
}

TEST_CASE("a state dir shared by two profiles is one error, not one per purpose", "[validate][paths]") {
  auto [a, b] = apart();
  b.state_dir = a.state_dir;
  b.config_path = b.state_dir + "/clawdbot.json";
  auto found = validate(fleet_of({a, b}));
  REQUIRE(found.size() == 1);
  CHECK(found[0].code == "path-overlap");
  CHECK(found[0].profile == "b");
  CHECK(found[0].message ==
        R"(profile "b": state dir and config folder /home/op/.clawdbot-a is also the state dir and config folder of profile "a"; gateways keep stores such as cron next to their config file)");
  CHECK(found[0].where.line == 10);
  REQUIRE(found[0].related.size() == 1);
  CHECK(found[0].related[0].message == R"(profile "a" is defined here)");
  CHECK(found[0].related[0].where.line == 5);
}

TEST_CASE("a workspace inside another profile's state dir", "[validate][paths]") {
  auto [a, b] = apart();
  b.workspace = a.state_dir + "/workspace";
  auto found = validate(fleet_of({a, b}));
  REQUIRE(found.size() == 1);
  CHECK(found[0].message ==
        R"(profile "b": workspace /home/op/.clawdbot-a/workspace lies inside the state dir and config folder /home/op/.clawdbot-a of profile "a")");
  CHECK(found[0].where.line == 11);
}

TEST_CASE("a later profile's folder that contains an earlier one's", "[validate][paths]") {
  auto [a, b] = apart();
  b.workspace = "/home/op";  // holds a's state dir and workspace
  auto found = validate(fleet_of({a, b}));
  REQUIRE(found.size() == 2);
  CHECK(has_message(found, R"(profile "b": workspace /home/op contains the state dir and config folder /home/op/.clawdbot-a of profile "a")"));
  CHECK(has_message(found, R"(profile "b": workspace /home/op contains the workspace /home/op/clawd-a of profile "a")"));
  // b's own state dir also lies in /home/op: nesting within one profile is fine.
}

TEST_CASE("two config files in one folder share the gateway's stores", "[validate][paths]") {
  auto [a, b] = apart();
  a.config_path = "/home/op/.clawdbot/a.json";
  b.config_path = "/home/op/.clawdbot/b.json";
  auto found = validate(fleet_of({a, b}));
  REQUIRE(found.size() == 1);
  CHECK(found[0].message ==
        R"(profile "b": config folder /home/op/.clawdbot is also the config folder of profile "a"; gateways keep stores such as cron next to their config file)");
  CHECK(found[0].where.line == 12);
}

TEST_CASE("the root folder as a workspace contains everything of every other profile", "[validate][paths]") {
  auto [a, b] = apart();
  a.workspace = "/";
  auto found = validate(fleet_of({a, b}));
  // b's state dir and b's workspace lie inside a's workspace "/".
  CHECK(with_code(found, "path-overlap").size() == 2);
  CHECK(has_message(found, R"(profile "b": workspace /home/op/clawd-b lies inside the workspace / of profile "a")"));
}

TEST_CASE("a rescue profile's path clash says that a rescue shares nothing", "[validate][paths]") {
  Profile main = derived_profile("main", 18789, 3);
  Profile rescue = derived_profile("rescue", 19001, 6, Role::rescue);
  rescue.workspace = main.workspace;
  auto found = validate(fleet_of({main, rescue}));
  REQUIRE(found.size() == 1);
  CHECK(found[0].message ==
        R"(profile "rescue": workspace /home/op/clawd-main is also the workspace of profile "main")");
  REQUIRE(found[0].related.size() == 2);
  CHECK(found[0].related[1].message == R"(profile "rescue" is a rescue profile: it must share nothing with other profiles)");
}

TEST_CASE("every pair of three profiles sharing a folder is reported", "[validate][paths]") {
  Profile a = derived_profile("a", 18789, 3);
  Profile b = derived_profile("b", 19001, 6);
  Profile c = derived_profile("c", 19201, 9);
  b.workspace = a.workspace;
  c.workspace = a.workspace;
  auto found = validate(fleet_of({a, b, c}));
  REQUIRE(found.size() == 3);
  CHECK(found[0].message == R"(profile "b": workspace /home/op/clawd-a is also the workspace of profile "a")");
  CHECK(found[1].message == R"(profile "c": workspace /home/op/clawd-a is also the workspace of profile "a")");
  CHECK(found[2].message == R"(profile "c": workspace /home/op/clawd-a is also the workspace of profile "b")");
}
