// The layout and what follows from it: default paths, stop.timeout and health.startup_path, the
// gateway's CLI (cli), health.start_interval, the note about state left in the other layout, and
// the variables of the restart handoff that env and env_file may not set.
#include <catch2/catch.hpp>
#include <filesystem>

#include "load_fixture.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::check_at;
using moltbot::test::clean_manifest;
using moltbot::test::listing;
using moltbot::test::ManifestFixture;
using moltbot::test::only_diagnostic;
using std::chrono::milliseconds;

TEST_CASE("layout: openclaw by default, clawdbot from defaults, the profile's own winning", "[load][layout]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
defaults:
  layout: clawdbot
profiles:
  old: {port: 18789}
  new: {port: 19001, layout: openclaw}
)");
  const Manifest& manifest = clean_manifest(result);
  const Profile& old = manifest.profiles.at(0);
  CHECK(old.layout == Layout::clawdbot);
  CHECK(old.state_dir == (fx.home() / ".clawdbot-old").string());
  CHECK(old.config_path == (fx.home() / ".clawdbot-old/clawdbot.json").string());
  CHECK(old.workspace == (fx.home() / "clawd-old").string());
  CHECK(old.location_of("layout").line == 3);
  const Profile& fresh = manifest.profiles.at(1);
  CHECK(fresh.layout == Layout::openclaw);
  CHECK(fresh.state_dir == (fx.home() / ".openclaw-new").string());
  CHECK(fresh.config_path == (fx.home() / ".openclaw-new/openclaw.json").string());
  CHECK(fresh.workspace == (fx.home() / ".openclaw-new/workspace").string());
  CHECK(fresh.location_of("layout").line == 6);

  const auto plain = fx.load("version: 1\nprofiles:\n  default: {port: 18789}\n");
  const Profile& def = clean_manifest(plain).profiles.at(0);
  CHECK(def.layout == Layout::openclaw);
  CHECK(def.state_dir == (fx.home() / ".openclaw").string());
  CHECK(def.config_path == (fx.home() / ".openclaw/openclaw.json").string());
}

TEST_CASE("layout: explicit paths still win; the openclaw workspace follows an explicit state dir", "[load][layout]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main: {port: 18789, state_dir: /srv/main, config_path: /etc/gw/main.json}
  other: {port: 19001, layout: clawdbot, workspace: /srv/other-ws}
)");
  const Manifest& manifest = clean_manifest(result);
  CHECK(manifest.profiles[0].state_dir == "/srv/main");
  CHECK(manifest.profiles[0].config_path == "/etc/gw/main.json");
  CHECK(manifest.profiles[0].workspace == "/srv/main/workspace");
  CHECK(manifest.profiles[1].state_dir == (fx.home() / ".clawdbot-other").string());
  CHECK(manifest.profiles[1].workspace == "/srv/other-ws");
}

TEST_CASE("layout: an unknown value gets a did-you-mean, a wrong type is named", "[load][layout]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
defaults:
  layout: openclow
profiles:
  main: {port: 18789, layout: [clawdbot]}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 2);
  check_at(result.diagnostics[0], "bad-value", 3, 11,
           "field \"defaults.layout\": unknown value \"openclow\" (use openclaw or clawdbot); did you mean "
           "\"openclaw\"?");
  check_at(result.diagnostics[1], "wrong-type", 5, 31,
           "profile \"main\": field \"layout\": expected a string, got a list");
}

TEST_CASE("layout defaults: stop.timeout and health.startup_path unless set, in defaults or the profile",
          "[load][layout]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
defaults:
  stop: {signal: SIGINT}
profiles:
  openclaw: {port: 18789}
  clawdbot: {port: 19001, layout: clawdbot}
  own: {port: 19201, stop: {timeout: 1m}, health: {startup_path: /started}, layout: clawdbot}
  off: {port: 19401, health: {startup_path: ""}}
)");
  const Manifest& manifest = clean_manifest(result);
  const Profile& openclaw = manifest.profiles.at(0);
  CHECK(openclaw.stop.timeout == milliseconds(330000));  // the gateway's own stop budget
  CHECK(openclaw.stop.signal == 2);
  CHECK(openclaw.health.startup_path == "/startupz");
  const Profile& clawdbot = manifest.profiles.at(1);
  CHECK(clawdbot.stop.timeout == milliseconds(10000));
  CHECK_FALSE(clawdbot.health.startup_path);
  const Profile& own = manifest.profiles.at(2);
  CHECK(own.stop.timeout == milliseconds(60000));
  CHECK(own.health.startup_path == "/started");
  const Profile& off = manifest.profiles.at(3);
  CHECK_FALSE(off.health.startup_path);
  CHECK(off.location_of("health.startup_path").line == 8);

  SECTION("a value in defaults counts as set") {
    const auto from_defaults = fx.load(R"(
version: 1
defaults:
  stop: {timeout: 5s}
  health: {startup_path: ""}
profiles:
  main: {port: 18789}
)");
    const Profile& main = clean_manifest(from_defaults).profiles.at(0);
    CHECK(main.stop.timeout == milliseconds(5000));
    CHECK_FALSE(main.health.startup_path);
  }
}

TEST_CASE("health.start_interval and health.startup_path are checked", "[load][layout]") {
  ManifestFixture fx;
  const auto fine = fx.load("version: 1\nprofiles:\n  main: {port: 18789, health: {start_interval: 50ms}}\n");
  const Profile& main = clean_manifest(fine).profiles.at(0);
  CHECK(main.health.start_interval == milliseconds(50));
  CHECK(main.health.interval == milliseconds(5000));

  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    health: {start_interval: 0, startup_path: startupz}
  other:
    port: 19001
    health: {start_interval: 5x, startup_path: ~, start_intervall: 1s}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 5);
  check_at(result.diagnostics[0], "bad-value", 5, 30,
           "profile \"main\": field \"health.start_interval\": must be longer than 0");
  check_at(result.diagnostics[1], "bad-value", 5, 47,
           "profile \"main\": field \"health.startup_path\": \"startupz\" must start with '/'");
  check_at(result.diagnostics[2], "bad-duration", 8, 30,
           "profile \"other\": field \"health.start_interval\": bad duration \"5x\" (use 250ms, 5s, 2m, 1h or "
           "seconds)");
  check_at(result.diagnostics[3], "wrong-type", 8, 48,
           "profile \"other\": field \"health.startup_path\": expected a string, got nothing");
  check_at(result.diagnostics[4], "unknown-key", 8, 51,
           "profile \"other\": unknown field \"health.start_intervall\"; did you mean \"health.start_interval\"?");
}

TEST_CASE("cli: the command's program with --profile unless set; cli: [] stays empty", "[load][cli]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
defaults:
  command: [/opt/openclaw/bin/openclaw, gateway, --port, "{port}"]
profiles:
  main: {port: 18789}
  own: {port: 19001, command: [node, /srv/openclaw.mjs, gateway]}
  wrapped: {port: 19201, cli: ["{state_dir}/bin/openclaw", --profile, "{profile}", --dev]}
  none: {port: 19401, cli: []}
)");
  const Manifest& manifest = clean_manifest(result);
  using Words = std::vector<std::string>;
  CHECK(manifest.profiles[0].cli == Words{"/opt/openclaw/bin/openclaw", "--profile", "{profile}"});
  CHECK(manifest.profiles[1].cli == Words{"node", "--profile", "{profile}"});
  CHECK(manifest.profiles[2].cli == Words{"{state_dir}/bin/openclaw", "--profile", "{profile}", "--dev"});
  CHECK(manifest.profiles[3].cli.empty());
  CHECK(manifest.profiles[3].location_of("cli").line == 8);

  SECTION("cli in defaults is set for every profile") {
    const auto from_defaults = fx.load("version: 1\ndefaults:\n  cli: []\nprofiles:\n  main: {port: 18789}\n");
    CHECK(clean_manifest(from_defaults).profiles.at(0).cli.empty());
  }
}

TEST_CASE("cli: validated like command", "[load][cli]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main: {port: 18789, cli: openclaw}
  other: {port: 19001, cli: ["", --profile]}
  third: {port: 19201, cli: [openclaw, [--profile]]}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 3);
  check_at(result.diagnostics[0], "wrong-type", 3, 28,
           "profile \"main\": field \"cli\": expected a list of strings, got openclaw");
  check_at(result.diagnostics[1], "bad-value", 4, 30,
           "profile \"other\": field \"cli\": the program name must not be empty");
  check_at(result.diagnostics[2], "wrong-type", 5, 40,
           "profile \"third\": field \"cli[1]\": expected a string, got a list");
}

TEST_CASE("other-layout-state: a note when the layout's default state dir is new and the other one exists",
          "[load][other-layout-state]") {
  ManifestFixture fx;
  std::filesystem::create_directories(fx.home() / ".clawdbot-main");
  std::filesystem::create_directories(fx.home() / ".clawdbot-kept");
  std::filesystem::create_directories(fx.home() / ".openclaw-kept");
  std::filesystem::create_directories(fx.home() / ".openclaw-back");
  const auto result = fx.load(R"(
version: 1
profiles:
  main: {port: 18789}
  kept: {port: 19001}
  moved: {port: 19201, state_dir: ~/elsewhere}
  back: {port: 19401, layout: clawdbot}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 2);
  CHECK_FALSE(has_errors(result.diagnostics));
  check_at(result.diagnostics[0], "other-layout-state", 3, 3,
           "profile \"main\": found existing state in " + (fx.home() / ".clawdbot-main").string() +
               "; set layout: clawdbot to keep using it (layout openclaw starts a new, empty state in " +
               (fx.home() / ".openclaw-main").string() + ")",
           Severity::note);
  check_at(result.diagnostics[1], "other-layout-state", 6, 31,
           "profile \"back\": found existing state in " + (fx.home() / ".openclaw-back").string() +
               "; set layout: openclaw to keep using it (layout clawdbot starts a new, empty state in " +
               (fx.home() / ".clawdbot-back").string() + ")",
           Severity::note);

  SECTION("a layout set in defaults is where the note points") {
    const auto in_defaults = fx.load("version: 1\ndefaults:\n  layout: openclaw\nprofiles:\n  main: {port: 18789}\n");
    const Diagnostic& d = only_diagnostic(in_defaults);
    CHECK(d.code == "other-layout-state");
    CHECK(d.where.line == 3);
    CHECK(d.where.column == 11);
  }
}

TEST_CASE("env and env_file may not set the restart handoff's variables", "[load][env]") {
  ManifestFixture fx;
  fx.write_private("main.env", "TOKEN=t\nOPENCLAW_SERVICE_REPAIR_POLICY=external\n");
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    env: {OPENCLAW_SUPERVISOR_MODE: external, OPENCLAW_NO_RESPAWN: "1"}
    env_file: main.env
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 3);
  const std::string advice =
      "is set by the supervisor from the gateway's restart-handoff support; set `cli: []` to force in-process "
      "restarts";
  check_at(result.diagnostics[0], "bad-value", 5, 11,
           "profile \"main\": field \"env.OPENCLAW_SUPERVISOR_MODE\": " + advice);
  check_at(result.diagnostics[1], "bad-value", 5, 47,
           "profile \"main\": field \"env.OPENCLAW_NO_RESPAWN\": " + advice);
  check_at(result.diagnostics[2], "bad-value", 6, 15,
           "profile \"main\": field \"env_file\": " + (fx.root() / "main.env").string() +
               ":2: OPENCLAW_SERVICE_REPAIR_POLICY " + advice);
}
