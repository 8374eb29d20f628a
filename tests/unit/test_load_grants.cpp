// control.grants: the grammar, the host's users and groups, the fleet's profiles, and the commands
// that may and may never be granted, each problem at its field.
#include <catch2/catch.hpp>

#include "load_fixture.h"

using namespace moltbot::config;
using moltbot::test::check_at;
using moltbot::test::clean_manifest;
using moltbot::test::listing;
using moltbot::test::ManifestFixture;
using moltbot::test::only_diagnostic;

namespace {

constexpr const char* two_profiles = R"(
profiles:
  main:
    port: 18789
  rescue:
    role: rescue
    port: 19001
)";

std::string with_control(const std::string& control) { return std::string(two_profiles) + control; }

}  // namespace

TEST_CASE("grants name a user or a group, profiles or all, and commands", "[load][grants]") {
  ManifestFixture fx;
  const auto result = fx.load(with_control(R"(control:
  grants:
    - user: nobody
      profiles: [main]
      commands: [status, logs, restart, reset, exec]
    - group: root
      profiles: all
      commands: [events]
)"));
  const Manifest& manifest = clean_manifest(result);
  const auto& grants = manifest.supervisor.grants;
  REQUIRE(grants.size() == 2);
  CHECK(grants[0].who == "user nobody");
  CHECK(grants[0].uid == 65534u);
  CHECK_FALSE(grants[0].gid);
  CHECK_FALSE(grants[0].all_profiles);
  CHECK(grants[0].profiles == std::vector<std::string>{"main"});
  CHECK(grants[0].commands == std::vector<std::string>{"status", "logs", "restart", "reset", "exec"});
  CHECK(grants[1].who == "group root");
  CHECK(grants[1].gid == 0u);
  CHECK_FALSE(grants[1].uid);
  CHECK(grants[1].all_profiles);
  CHECK(grants[1].profiles.empty());
}

TEST_CASE("no control section: no grants", "[load][grants]") {
  ManifestFixture fx;
  CHECK(clean_manifest(fx.load(two_profiles)).supervisor.grants.empty());
}

TEST_CASE("a user or group unknown to this host is named at its field", "[load][grants]") {
  ManifestFixture fx;
  const auto result = fx.load(with_control(R"(control:
  grants:
    - user: moltbot-no-such-user-4711
      profiles: [main]
      commands: [status]
    - group: moltbot-no-such-group-4711
      profiles: [main]
      commands: [status]
)"));
  REQUIRE(result.diagnostics.size() == 2);
  check_at(result.diagnostics[0], "unknown-account", 9, 13,
           "field \"control.grants[0].user\": no user \"moltbot-no-such-user-4711\" on this host");
  check_at(result.diagnostics[1], "unknown-account", 12, 14,
           "field \"control.grants[1].group\": no group \"moltbot-no-such-group-4711\" on this host");
  CHECK(result.manifest->supervisor.grants.empty());
}

TEST_CASE("shutdown, reload and reexec are never grantable, and unknown commands get a suggestion",
          "[load][grants]") {
  ManifestFixture fx;
  const auto result = fx.load(with_control(R"(control:
  grants:
    - user: nobody
      profiles: [main]
      commands: [status, shutdown, reload, reexec, restrat, exec-environment]
)"));
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 5);
  check_at(result.diagnostics[0], "bad-value", 11, 26,
           "field \"control.grants[0].commands[1]\": \"shutdown\" is never grantable: it acts on the whole "
           "supervisor, which only root, the supervisor's user and socket_group may do");
  CHECK_THAT(result.diagnostics[1].message, Catch::Contains("\"reload\" is never grantable"));
  CHECK_THAT(result.diagnostics[2].message, Catch::Contains("\"reexec\" is never grantable"));
  check_at(result.diagnostics[3], "bad-value", 11, 52,
           "field \"control.grants[0].commands[4]\": unknown command \"restrat\" (grantable: status, logs, events, "
           "start, stop, restart, reset, signal, exec); did you mean \"restart\"?");
  CHECK_THAT(result.diagnostics[4].message,
             Catch::Contains("field \"control.grants[0].commands[5]\": unknown command \"exec-environment\""));
  CHECK(result.manifest->supervisor.grants.empty());
}

TEST_CASE("a grant's profiles must be the manifest's", "[load][grants]") {
  ManifestFixture fx;
  const auto result = fx.load(with_control(R"(control:
  grants:
    - user: nobody
      profiles: [mian, all]
      commands: [status]
)"));
  REQUIRE(result.diagnostics.size() == 2);
  check_at(result.diagnostics[0], "bad-value", 10, 18,
           "field \"control.grants[0].profiles[0]\": no profile \"mian\" in this manifest; did you mean \"main\"?");
  check_at(result.diagnostics[1], "bad-value", 10, 24,
           "field \"control.grants[0].profiles[1]\": no profile \"all\" in this manifest (`all` stands alone: "
           "profiles: all)");
}

TEST_CASE("a grant names exactly one user or group, and has profiles and commands", "[load][grants]") {
  ManifestFixture fx;
  const auto result = fx.load(with_control(R"(control:
  grants:
    - user: nobody
      group: root
      profiles: [main]
      commands: [status]
    - profiles: [main]
      commands: [status]
    - user: nobody
    - user: nobody
      profiles: []
      commands: status
      extra: 1
)"));
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 7);
  check_at(result.diagnostics[0], "bad-value", 10, 7,
           "field \"control.grants[0]\": a grant names exactly one `user` or one `group` (a grant for both is two "
           "grants)");
  check_at(result.diagnostics[1], "missing-field", 13, 7,
           "field \"control.grants[1]\": a grant names exactly one `user` or one `group` (a grant for both is two "
           "grants)");
  check_at(result.diagnostics[2], "missing-field", 15, 7,
           "field \"control.grants[2]\": missing field \"profiles\" (a list of profiles, or all)");
  check_at(result.diagnostics[3], "missing-field", 15, 7,
           "field \"control.grants[2]\": missing field \"commands\" (a list of status, logs, events, start, stop, "
           "restart, reset, signal, exec)");
  check_at(result.diagnostics[4], "bad-value", 17, 17, "field \"control.grants[3].profiles\": must not be empty");
  check_at(result.diagnostics[5], "wrong-type", 18, 17,
           "field \"control.grants[3].commands\": expected a list of strings, got status");
  check_at(result.diagnostics[6], "unknown-key", 19, 7, "unknown field \"control.grants[3].extra\"");
}

TEST_CASE("control and grants of the wrong kind", "[load][grants]") {
  ManifestFixture fx;
  check_at(only_diagnostic(fx.load(with_control("control: [grants]\n"))), "wrong-type", 7, 10,
           "field \"control\": expected a mapping, got a list");
  check_at(only_diagnostic(fx.load(with_control("control:\n  grants: {user: nobody}\n"))), "wrong-type", 8, 11,
           "field \"control.grants\": expected a list of grants, got a mapping");
  check_at(only_diagnostic(fx.load(with_control("control:\n  grant: []\n"))), "unknown-key", 8, 3,
           "unknown field \"control.grant\"; did you mean \"control.grants\"?");
}
