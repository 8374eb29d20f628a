// credential-shared on hand-built manifests: compared by value, never printed.
#include <catch2/catch.hpp>

#include "hand_built_fleet.h"
#include "moltbot/config/validate.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::derived_profile;
using moltbot::test::fleet_of;

namespace {

const std::string secret = "123456:AAH-super-secret-token";

}  // namespace

TEST_CASE("the same bot token in two profiles is an error that never shows the token", "[validate][credentials]") {
  Profile a = derived_profile("a", 18789, 3);
  Profile b = derived_profile("b", 19001, 6, Role::rescue);
  a.credentials = {{"telegram", "", "botToken", secret}};
  b.credentials = {{"discord", "", "token", "other"}, {"telegram", "ops", "botToken", secret}};
  auto found = validate(fleet_of({a, b}));
  REQUIRE(found.size() == 1);
  CHECK(found[0].code == "credential-shared");
  CHECK(found[0].profile == "b");
  CHECK(found[0].message ==
        R"(profile "b": channels.telegram.accounts.ops.botToken in /home/op/.clawdbot-b/clawdbot.json has the same value as channels.telegram.botToken of profile "a" (in /home/op/.clawdbot-a/clawdbot.json); a channel credential can serve only one gateway)");
  REQUIRE(found[0].related.size() == 2);
  CHECK(found[0].related[1].message == R"(profile "b" is a rescue profile: it must share nothing with other profiles)");
  CHECK(found[0].message.find(secret) == std::string::npos);
  CHECK(found[0].related.at(0).message.find(secret) == std::string::npos);
}

TEST_CASE("different tokens, empty tokens and one profile's repeated token are fine", "[validate][credentials]") {
  Profile a = derived_profile("a", 18789, 3);
  Profile b = derived_profile("b", 19001, 6);
  a.credentials = {{"telegram", "", "botToken", "one"}, {"telegram", "backup", "botToken", "one"},
                   {"slack", "", "token", ""}};
  b.credentials = {{"telegram", "", "botToken", "two"}, {"slack", "", "token", ""}};
  CHECK(validate(fleet_of({a, b})).empty());
}

TEST_CASE("a token shared by three profiles is reported for each later pair", "[validate][credentials]") {
  Profile a = derived_profile("a", 18789, 3);
  Profile b = derived_profile("b", 19001, 6);
  Profile c = derived_profile("c", 19201, 9);
  for (Profile* p : {&a, &b, &c}) p->credentials = {{"telegram", "", "botToken", secret}};
  auto found = validate(fleet_of({a, b, c}));
  REQUIRE(found.size() == 3);
  CHECK(found[0].profile == "b");
  CHECK(found[1].profile == "c");
  CHECK(found[2].profile == "c");
  CHECK(found[2].related.at(0).message == R"(profile "b" is defined here)");
}
