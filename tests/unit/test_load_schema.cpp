// The manifest schema: every loader rule and diagnostic code, with exact positions.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "load_fixture.h"
#include "moltbot/config/supervisor_defaults.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::check_at;
using moltbot::test::clean_manifest;
using moltbot::test::listing;
using moltbot::test::ManifestFixture;
using moltbot::test::only_diagnostic;
using std::chrono::milliseconds;

TEST_CASE("a minimal manifest resolves with the built-in defaults", "[load]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
)");
  const Manifest& manifest = clean_manifest(result);
  CHECK(manifest.path == fx.manifest_path());
  CHECK(manifest.version == 1);
  CHECK(manifest.supervisor.socket == default_socket_path(fx.env, geteuid()));
  CHECK(manifest.supervisor.log_dir == default_log_dir(fx.env, geteuid()));
  CHECK_FALSE(manifest.supervisor.socket_group);
  CHECK(manifest.supervisor.on_crash == OnCrash::adopt);
  REQUIRE(manifest.profiles.size() == 1);

  const Profile& main = manifest.profiles[0];
  CHECK(main.name == "main");
  CHECK(main.where.file == fx.manifest_path());
  CHECK(main.where.line == 3);
  CHECK(main.where.column == 3);
  CHECK(main.role == Role::main);
  CHECK(main.layout == Layout::openclaw);
  CHECK(main.state_dir == (fx.home() / ".openclaw-main").string());
  CHECK(main.config_path == (fx.home() / ".openclaw-main/openclaw.json").string());
  CHECK(main.workspace == (fx.home() / ".openclaw-main/workspace").string());
  CHECK(main.command == std::vector<std::string>{"moltbot-gateway", "--profile", "{profile}", "--port", "{port}"});
  CHECK(main.cli == std::vector<std::string>{"moltbot-gateway", "--profile", "{profile}"});
  CHECK(main.env.empty());
  CHECK_FALSE(main.env_file);
  CHECK(main.autostart);
  CHECK(main.restart.policy == RestartPolicy::always);
  CHECK(main.restart.backoff.initial == milliseconds(1000));
  CHECK(main.restart.backoff.max == milliseconds(60000));
  CHECK(main.restart.backoff.factor == 2.0);
  CHECK(main.restart.reset_after == milliseconds(60000));
  CHECK(main.restart.max_restarts == 10);
  CHECK(main.restart.window == milliseconds(300000));
  CHECK(main.restart.no_restart_exit_codes == std::vector<int>{78});
  CHECK(main.health.type == HealthType::http);
  CHECK(main.health.path == "/healthz");
  CHECK(main.health.interval == milliseconds(5000));
  CHECK(main.health.timeout == milliseconds(2000));
  CHECK(main.health.failures == 3);
  CHECK(main.health.start_period == milliseconds(10000));
  CHECK(main.health.start_interval == milliseconds(250));
  CHECK_FALSE(main.health.ready_path);
  CHECK(main.health.startup_path == "/startupz");
  CHECK(main.stop.signal == 15);
  CHECK(main.stop.timeout == milliseconds(330000));
  CHECK(main.credentials.empty());
  CHECK(main.location_of("port").line == 4);
  CHECK(main.location_of("port").column == 11);
}

TEST_CASE("every setting is read", "[load]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
supervisor:
  socket: run/supervisord.sock
  socket_group: moltbot
  log_dir: logs
  on_crash: restart
profiles:
  rescue:
    port: 19001
    role: rescue
    layout: clawdbot
    autostart: false
    command: [/opt/gw/bin/gateway, --profile, "{profile}", --port, "{port}", --verbose, 3]
    cli: [/opt/gw/bin/cli, --profile, "{profile}", --port, "{port}"]
    env: {EXTRA: "1", LEVEL: 2, DEBUG: true}
    restart:
      policy: on-failure
      backoff: {initial: 250ms, max: 2m, factor: 1.5}
      reset_after: 0
      max_restarts: 0
      window: 1h
      no_restart_exit_codes: [78, 1]
    health:
      type: exec
      command: [/usr/local/bin/probe, --quick]
      interval: 1.5
      timeout: 500ms
      failures: 5
      start_period: 0s
      start_interval: 100ms
      ready_path: /readyz
      startup_path: /started
    stop: {signal: SIGINT, timeout: 30s}
)");
  const Manifest& manifest = clean_manifest(result);
  CHECK(manifest.supervisor.socket == (fx.root() / "run/supervisord.sock").string());
  CHECK(manifest.supervisor.socket_group == "moltbot");
  CHECK(manifest.supervisor.log_dir == (fx.root() / "logs").string());
  CHECK(manifest.supervisor.on_crash == OnCrash::restart);
  const Profile& p = manifest.profiles.at(0);
  CHECK(p.role == Role::rescue);
  CHECK(p.layout == Layout::clawdbot);
  CHECK(p.state_dir == (fx.home() / ".clawdbot-rescue").string());
  CHECK(p.config_path == (fx.home() / ".clawdbot-rescue/clawdbot.json").string());
  CHECK(p.workspace == (fx.home() / "clawd-rescue").string());
  CHECK_FALSE(p.autostart);
  CHECK(p.command == std::vector<std::string>{"/opt/gw/bin/gateway", "--profile", "{profile}", "--port", "{port}",
                                              "--verbose", "3"});
  CHECK(p.cli == std::vector<std::string>{"/opt/gw/bin/cli", "--profile", "{profile}", "--port", "{port}"});
  CHECK(p.env == std::map<std::string, std::string>{{"EXTRA", "1"}, {"LEVEL", "2"}, {"DEBUG", "true"}});
  CHECK(p.restart.policy == RestartPolicy::on_failure);
  CHECK(p.restart.backoff.initial == milliseconds(250));
  CHECK(p.restart.backoff.max == milliseconds(120000));
  CHECK(p.restart.backoff.factor == 1.5);
  CHECK(p.restart.reset_after == milliseconds(0));
  CHECK(p.restart.max_restarts == 0);
  CHECK(p.restart.window == milliseconds(3600000));
  CHECK(p.restart.no_restart_exit_codes == std::vector<int>{78, 1});
  CHECK(p.health.type == HealthType::exec);
  CHECK(p.health.command == std::vector<std::string>{"/usr/local/bin/probe", "--quick"});
  CHECK(p.health.interval == milliseconds(1500));
  CHECK(p.health.timeout == milliseconds(500));
  CHECK(p.health.failures == 5);
  CHECK(p.health.start_period == milliseconds(0));
  CHECK(p.health.start_interval == milliseconds(100));
  CHECK(p.health.ready_path == "/readyz");
  CHECK(p.health.startup_path == "/started");
  CHECK(p.stop.signal == 2);
  CHECK(p.stop.timeout == milliseconds(30000));
  CHECK(p.location_of("restart.backoff.factor").line == 18);
  CHECK(p.location_of("restart.backoff.factor").column == 50);
  CHECK(p.location_of("env.LEVEL").line == 15);
  CHECK(p.location_of("env.LEVEL").column == 30);
}

TEST_CASE("stop signals by name, short name or number", "[load]") {
  ManifestFixture fx;
  for (const auto& [text, number] :
       std::vector<std::pair<std::string, int>>{{"SIGTERM", 15}, {"TERM", 15}, {"INT", 2}, {"9", 9}, {"SIGUSR2", 12}}) {
    const auto result = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n    stop: {signal: " + text + "}\n");
    CHECK(clean_manifest(result).profiles.at(0).stop.signal == number);
  }
}

TEST_CASE("defaults merge into every profile, the profile's keys winning", "[load][defaults]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
defaults:
  command: [gw, "{port}"]
  env: {SHARED: from-defaults, OVERRIDE: from-defaults}
  autostart: false
  restart: {policy: never, backoff: {initial: 2s, max: 30s}}
  health: {type: tcp, interval: 10s}
  stop: {signal: TERM, timeout: 3s}
profiles:
  main:
    port: 18789
  rescue:
    port: 19001
    role: rescue
    command: [other]
    env: {OVERRIDE: from-rescue, OWN: yes}
    restart: {backoff: {max: 10s}}
    health: {interval: 1s}
)");
  const Manifest& manifest = clean_manifest(result);
  const Profile& main = manifest.profiles.at(0);
  const Profile& rescue = manifest.profiles.at(1);

  CHECK(main.command == std::vector<std::string>{"gw", "{port}"});
  CHECK(main.env == std::map<std::string, std::string>{{"SHARED", "from-defaults"}, {"OVERRIDE", "from-defaults"}});
  CHECK_FALSE(main.autostart);
  CHECK(main.restart.policy == RestartPolicy::never);
  CHECK(main.restart.backoff.initial == milliseconds(2000));
  CHECK(main.restart.backoff.max == milliseconds(30000));
  CHECK(main.health.type == HealthType::tcp);
  CHECK(main.stop.timeout == milliseconds(3000));
  CHECK(main.location_of("command").line == 3);  // inherited settings point into `defaults`

  CHECK(rescue.command == std::vector<std::string>{"other"});  // lists are replaced
  CHECK(rescue.env ==
        std::map<std::string, std::string>{{"SHARED", "from-defaults"}, {"OVERRIDE", "from-rescue"}, {"OWN", "yes"}});
  CHECK_FALSE(rescue.autostart);
  CHECK(rescue.restart.policy == RestartPolicy::never);         // from defaults
  CHECK(rescue.restart.backoff.initial == milliseconds(2000));  // from defaults
  CHECK(rescue.restart.backoff.max == milliseconds(10000));     // own
  CHECK(rescue.health.type == HealthType::tcp);                 // from defaults
  CHECK(rescue.health.interval == milliseconds(1000));          // own
  CHECK(rescue.health.timeout == milliseconds(2000));           // built in
  CHECK(rescue.location_of("command").line == 15);
}

TEST_CASE("per-profile keys are refused in defaults", "[load][defaults]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
defaults:
  port: 18789
  restart: {policy: always}
profiles:
  main:
    port: 18789
)");
  check_at(only_diagnostic(result), "unknown-key", 3, 3,
           "field \"defaults.port\" cannot be set in defaults: every profile needs its own; set it in each profile");
}

TEST_CASE("a problem in defaults is reported once, not once per profile", "[load][defaults]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
defaults:
  health: {interval: 5x}
  restart: {backoff: {initial: 2m, max: 1m}}
profiles:
  a: {port: 18789}
  b: {port: 19001}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 2);
  check_at(result.diagnostics[0], "bad-duration", 3, 22,
           "field \"defaults.health.interval\": bad duration \"5x\" (use 250ms, 5s, 2m, 1h or seconds)");
  check_at(result.diagnostics[1], "bad-value", 4, 32,
           "field \"defaults.restart.backoff.initial\": backoff starts at 2m but may grow only to 1m "
           "(restart.backoff.max)");
}

TEST_CASE("yaml-syntax: a parse error is reported at the parser's position", "[load][yaml-syntax]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
   role: main
)");
  check_at(only_diagnostic(result), "yaml-syntax", 5, 4, "end of map not found");
  CHECK_FALSE(result.manifest);
}

TEST_CASE("yaml-syntax: a manifest is a single document", "[load][yaml-syntax]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles: {main: {port: 18789}}
---
profiles: {other: {port: 19001}}
)");
  check_at(only_diagnostic(result), "yaml-syntax", 3, 1, "a manifest is one YAML document; a second one starts here");
}

TEST_CASE("yaml-syntax: an alias inside the node it names", "[load][yaml-syntax]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    command: &loop [gw, *loop]
)");
  check_at(only_diagnostic(result), "yaml-syntax", 5, 25, "an alias may not refer to a node that contains it");
}

TEST_CASE("anchors and aliases are followed", "[load]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    command: &gw [gw, --fast]
  rescue:
    port: 19001
    command: *gw
)");
  CHECK(clean_manifest(result).profiles.at(1).command == std::vector<std::string>{"gw", "--fast"});
}

TEST_CASE("duplicate-key at the top level", "[load][duplicate-key]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main: {port: 18789}
version: 1
)");
  const Diagnostic& d = only_diagnostic(result);
  check_at(d, "duplicate-key", 4, 1, "duplicate key 'version'");
  REQUIRE(d.related.size() == 1);
  CHECK(d.related[0].message == "'version' is first defined here");
  CHECK(d.related[0].where.line == 1);
  CHECK(d.related[0].where.column == 1);
}

TEST_CASE("duplicate-key inside a profile", "[load][duplicate-key]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    role: main
    port: 18790
)");
  const Diagnostic& d = only_diagnostic(result);
  check_at(d, "duplicate-key", 6, 5, "duplicate key 'port'");
  REQUIRE(d.related.size() == 1);
  CHECK(d.related[0].where.line == 4);
  CHECK(d.related[0].where.column == 5);
}

TEST_CASE("duplicate-key in nested and flow mappings, and duplicate profiles", "[load][duplicate-key]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    restart:
      backoff: {initial: 1s, initial: 2s}
  main:
    port: 19001
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 2);
  check_at(result.diagnostics[0], "duplicate-key", 6, 30, "duplicate key 'initial'");
  CHECK(result.diagnostics[0].related.at(0).where.column == 17);
  check_at(result.diagnostics[1], "duplicate-key", 7, 3, "duplicate key 'main'");
  CHECK(result.diagnostics[1].related.at(0).where.line == 3);
}

TEST_CASE("unknown-key with a did-you-mean", "[load][unknown-key]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profils: {}
profiles:
  main:
    prot: 18789
    restart: {polcy: always}
    healthcheck: {}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 5);
  check_at(result.diagnostics[0], "unknown-key", 2, 1, "unknown field \"profils\"; did you mean \"profiles\"?");
  check_at(result.diagnostics[1], "missing-field", 4, 3,
           "profile \"main\": missing field \"port\" (the gateway port, e.g. 18789)");
  check_at(result.diagnostics[2], "unknown-key", 5, 5,
           "profile \"main\": unknown field \"prot\"; did you mean \"port\"?");
  check_at(result.diagnostics[3], "unknown-key", 6, 15,
           "profile \"main\": unknown field \"restart.polcy\"; did you mean \"restart.policy\"?");
  check_at(result.diagnostics[4], "unknown-key", 7, 5, "profile \"main\": unknown field \"healthcheck\"");
  CHECK(result.diagnostics[2].profile == "main");
}

TEST_CASE("wrong-type: a port must be a plain integer", "[load][wrong-type]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  a: {port: "abc"}
  b: {port: 1.5}
  c: {port: "18789"}
  d: {port: [1]}
  e: {port: }
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 5);
  check_at(result.diagnostics[0], "wrong-type", 3, 13,
           "profile \"a\": field \"port\": expected an integer, got string \"abc\"");
  check_at(result.diagnostics[1], "wrong-type", 4, 13, "profile \"b\": field \"port\": expected an integer, got 1.5");
  check_at(result.diagnostics[2], "wrong-type", 5, 13,
           "profile \"c\": field \"port\": expected an integer, got string \"18789\" (remove the quotes)");
  check_at(result.diagnostics[3], "wrong-type", 6, 13,
           "profile \"d\": field \"port\": expected an integer, got a list");
  check_at(result.diagnostics[4], "wrong-type", 7, 13,
           "profile \"e\": field \"port\": expected an integer, got nothing");
  // Profiles with a bad port stay in the model for the other checks, without any port use.
  REQUIRE(result.manifest);
  CHECK(result.manifest->profiles.size() == 5);
  CHECK(result.manifest->profiles[0].ports.uses.empty());
}

TEST_CASE("wrong-type: env, command, autostart and sections", "[load][wrong-type]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    env: [A=1]
    command: gateway --port 1
    autostart: yes
    restart: always
    health: {command: [gw, {x: 1}]}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 5);
  check_at(result.diagnostics[0], "wrong-type", 5, 10,
           "profile \"main\": field \"env\": expected a mapping of NAME: value, got a list");
  check_at(result.diagnostics[1], "wrong-type", 6, 14,
           "profile \"main\": field \"command\": expected a list of strings, got gateway --port 1");
  check_at(result.diagnostics[2], "wrong-type", 7, 16,
           "profile \"main\": field \"autostart\": expected true or false, got yes");
  check_at(result.diagnostics[3], "wrong-type", 8, 14,
           "profile \"main\": field \"restart\": expected a mapping, got always");
  check_at(result.diagnostics[4], "wrong-type", 9, 28,
           "profile \"main\": field \"health.command[1]\": expected a string, got a mapping");
}

TEST_CASE("wrong-type: env values are scalars", "[load][wrong-type]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    env:
      NESTED: {a: 1}
)");
  check_at(only_diagnostic(result), "wrong-type", 6, 15,
           "profile \"main\": field \"env.NESTED\": expected a string, number or boolean, got a mapping");
}

TEST_CASE("wrong-type: the manifest itself must be a mapping", "[load][wrong-type]") {
  ManifestFixture fx;
  const auto result = fx.load("- version: 1\n");
  check_at(only_diagnostic(result), "wrong-type", 1, 1,
           "a manifest is a mapping with version, supervisor, defaults, profiles and control; got a list");
}

TEST_CASE("missing-field: port and profiles", "[load][missing-field]") {
  ManifestFixture fx;
  auto result = fx.load(R"(
version: 1
profiles:
  main:
  rescue:
    role: rescue
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 2);
  check_at(result.diagnostics[0], "missing-field", 3, 3,
           "profile \"main\": missing field \"port\" (the gateway port, e.g. 18789)");
  check_at(result.diagnostics[1], "missing-field", 4, 3,
           "profile \"rescue\": missing field \"port\" (the gateway port, e.g. 18789)");

  result = fx.load("version: 1\nsupervisor: {log_dir: /tmp/x}\n");
  check_at(only_diagnostic(result), "missing-field", 1, 1,
           "missing field \"profiles\" (a mapping of profile names to profiles)");
}

TEST_CASE("empty-profiles", "[load][empty-profiles]") {
  ManifestFixture fx;
  check_at(only_diagnostic(fx.load("version: 1\nprofiles: {}\n")), "empty-profiles", 2, 11,
           "field \"profiles\": is empty; a fleet needs at least one profile");
  check_at(only_diagnostic(fx.load("version: 1\nprofiles:\n")), "empty-profiles", 2, 1,
           "field \"profiles\": is empty; a fleet needs at least one profile");
  check_at(only_diagnostic(fx.load("version: 1\nprofiles: [main]\n")), "wrong-type", 2, 11,
           "field \"profiles\": expected a mapping of profile names to profiles, got a list");
}

TEST_CASE("bad-profile-name", "[load][bad-profile-name]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main: {port: 18789}
  "my profile": {port: 19001}
  a.b: {port: 19201}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 2);
  check_at(result.diagnostics[0], "bad-profile-name", 4, 3,
           "bad profile name \"my profile\": use letters, digits, '_' and '-' only");
  check_at(result.diagnostics[1], "bad-profile-name", 5, 3,
           "bad profile name \"a.b\": use letters, digits, '_' and '-' only");
  CHECK(result.manifest->profiles.size() == 1);  // a bad name gives no state dir to check
}

TEST_CASE("bad-duration", "[load][bad-duration]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    health:
      interval: 5x
    stop: {timeout: -5s}
    restart: {window: [1]}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 3);
  check_at(result.diagnostics[0], "bad-duration", 6, 17,
           "profile \"main\": field \"health.interval\": bad duration \"5x\" (use 250ms, 5s, 2m, 1h or seconds)");
  check_at(result.diagnostics[1], "bad-duration", 7, 21,
           "profile \"main\": field \"stop.timeout\": bad duration \"-5s\" (use 250ms, 5s, 2m, 1h or seconds)");
  check_at(result.diagnostics[2], "wrong-type", 8, 23,
           "profile \"main\": field \"restart.window\": expected a duration, got a list");
}

TEST_CASE("bad-value: unknown names of policies, types, signals and roles", "[load][bad-value]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    role: primary
    restart: {policy: on_failure}
    health: {type: grpc}
    stop: {signal: SIGFOO}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 4);
  check_at(result.diagnostics[0], "bad-value", 5, 11,
           "profile \"main\": field \"role\": unknown value \"primary\" (use main or rescue)");
  check_at(
      result.diagnostics[1], "bad-value", 6, 23,
      "profile \"main\": field \"restart.policy\": unknown value \"on_failure\" (use always, on-failure or never); "
      "did you mean \"on-failure\"?");
  check_at(result.diagnostics[2], "bad-value", 7, 20,
           "profile \"main\": field \"health.type\": unknown value \"grpc\" (use tcp, http, exec or none)");
  check_at(
      result.diagnostics[3], "bad-value", 8, 20,
      "profile \"main\": field \"stop.signal\": unknown signal \"SIGFOO\" (use a name such as SIGTERM, TERM or INT, "
      "or a number)");
}

TEST_CASE("supervisor.on_crash is adopt or restart", "[load][bad-value][wrong-type]") {
  const auto [value, code, message] = GENERATE(table<std::string, std::string, std::string>({
      {"adopted", "bad-value",
       "field \"supervisor.on_crash\": unknown value \"adopted\" (use adopt or restart); did you mean \"adopt\"?"},
      {"[adopt]", "wrong-type", "field \"supervisor.on_crash\": expected a string, got a list"},
  }));
  ManifestFixture fx;
  const auto result = fx.load("version: 1\nsupervisor:\n  on_crash: " + value + "\nprofiles: {main: {port: 18789}}\n");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 1);
  check_at(result.diagnostics[0], code, 3, 13, message);
}

TEST_CASE("bad-value: version, port ranges and numbers", "[load][bad-value]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 2
profiles:
  a: {port: 70000}
  b: {port: 0, canvas_port: 65536}
  c:
    port: 19001
    restart: {max_restarts: -1, backoff: {factor: 0.5}, no_restart_exit_codes: [78, 256]}
    health: {failures: 0, interval: 0s}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 9);
  check_at(result.diagnostics[0], "bad-value", 1, 10,
           "field \"version\": version 2 is not supported (this supervisor reads version 1)");
  check_at(result.diagnostics[1], "bad-value", 3, 13, "profile \"a\": field \"port\": 70000 is outside 1..65535");
  check_at(result.diagnostics[2], "bad-value", 4, 13, "profile \"b\": field \"port\": 0 is outside 1..65535");
  check_at(result.diagnostics[3], "bad-value", 4, 29,
           "profile \"b\": field \"canvas_port\": 65536 is outside 1..65535");
  check_at(result.diagnostics[4], "bad-value", 7, 29,
           "profile \"c\": field \"restart.max_restarts\": -1 is outside 0..1000000");
  check_at(result.diagnostics[5], "bad-value", 7, 51,
           "profile \"c\": field \"restart.backoff.factor\": 0.5 is outside 1..100");
  check_at(result.diagnostics[6], "bad-value", 7, 85,
           "profile \"c\": field \"restart.no_restart_exit_codes[1]\": 256 is outside 0..255");
  check_at(result.diagnostics[7], "bad-value", 8, 24, "profile \"c\": field \"health.failures\": 0 is outside 1..1000");
  check_at(result.diagnostics[8], "bad-value", 8, 37,
           "profile \"c\": field \"health.interval\": must be longer than 0");
}

TEST_CASE("bad-value: a zero backoff start restarts at once, a zero cap is refused", "[load][bad-value]") {
  ManifestFixture fx;
  const auto immediate = fx.load(R"(
version: 1
profiles:
  main: {port: 18789, restart: {backoff: {initial: 0, max: 1s}}}
)");
  CHECK(clean_manifest(immediate).profiles.at(0).restart.backoff.initial == milliseconds(0));

  const auto capped_at_zero = fx.load(R"(
version: 1
profiles:
  main: {port: 18789, restart: {backoff: {initial: 0, max: 0s}}}
)");
  INFO(listing(capped_at_zero.diagnostics));
  REQUIRE(capped_at_zero.diagnostics.size() == 1);
  check_at(capped_at_zero.diagnostics[0], "bad-value", 3, 60,
           "profile \"main\": field \"restart.backoff.max\": must be longer than 0");
}

TEST_CASE("bad-value: rules between fields", "[load][bad-value]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    health: {type: exec, path: healthz}
    restart: {backoff: {initial: 1m, max: 10s}}
    command: ["", --port, "{port}"]
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 4);
  check_at(result.diagnostics[0], "bad-value", 5, 20,
           "profile \"main\": field \"health.type\": type exec needs health.command (the program to run)");
  check_at(result.diagnostics[1], "bad-value", 5, 32,
           "profile \"main\": field \"health.path\": \"healthz\" must start with '/'");
  check_at(result.diagnostics[2], "bad-value", 6, 34,
           "profile \"main\": field \"restart.backoff.initial\": backoff starts at 1m but may grow only to 10s "
           "(restart.backoff.max)");
  check_at(result.diagnostics[3], "bad-value", 7, 15,
           "profile \"main\": field \"command\": the program name must not be empty");
}

TEST_CASE("bad-value: env may not move the gateway away from its profile", "[load][bad-value]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    env:
      CLAWDBOT_STATE_DIR: /elsewhere
      OPENCLAW_NO_RESPAWN: "0"
      1BAD: x
      FINE: ok
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 3);
  check_at(result.diagnostics[0], "bad-value", 6, 7,
           "profile \"main\": field \"env.CLAWDBOT_STATE_DIR\": is set by the supervisor from the profile (name, port, "
           "state_dir, config_path); set those fields instead");
  CHECK(result.diagnostics[1].where.line == 7);
  check_at(
      result.diagnostics[2], "bad-value", 8, 7,
      "profile \"main\": field \"env\": bad variable name \"1BAD\" (letters, digits and _, not starting with a digit)");
  CHECK(result.manifest->profiles[0].env == std::map<std::string, std::string>{{"FINE", "ok"}});
}

TEST_CASE("bad-value: browser settings", "[load][bad-value]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    browser:
      cdp_port_range: [19111, 19012]
      profiles:
        both: {cdp_port: 19020, cdp_url: "http://127.0.0.1:9222"}
        bad: {cdp_url: "ftp://x"}
  other:
    port: 19001
    browser: {cdp_port_range: [1]}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 4);
  check_at(result.diagnostics[0], "bad-value", 6, 23,
           "profile \"main\": field \"browser.cdp_port_range\": first port 19111 is above last port 19012");
  check_at(
      result.diagnostics[1], "bad-value", 8, 42,
      "profile \"main\": field \"browser.profiles.both\": set cdp_port or cdp_url, not both (cdp_url names a browser "
      "the gateway does not start)");
  check_at(result.diagnostics[2], "bad-value", 9, 24,
           "profile \"main\": field \"browser.profiles.bad.cdp_url\": \"ftp://x\" is not an http(s):// or ws(s):// URL "
           "with a port 1..65535");
  check_at(result.diagnostics[3], "bad-value", 12, 31,
           "profile \"other\": field \"browser.cdp_port_range\": expected [first, last], got 1 entries");
}

TEST_CASE("bad-value: socket path too long for a Unix socket", "[load][bad-value]") {
  ManifestFixture fx;
  const std::string long_name(120, 's');
  const auto result =
      fx.load("version: 1\nsupervisor:\n  socket: /run/" + long_name + "\nprofiles: {main: {port: 18789}}\n");
  const Diagnostic& d = only_diagnostic(result);
  CHECK(d.code == "bad-value");
  CHECK(d.where.line == 3);
  CHECK(d.where.column == 11);
  CHECK(d.message == "field \"supervisor.socket\": /run/" + long_name +
                         " is 125 bytes long; a Unix socket path may have at most 107");
}

TEST_CASE("bad-path: undefined variables and empty paths", "[load][bad-path]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
supervisor: {log_dir: "${LOG_ROOT}/moltbot"}
profiles:
  main:
    port: 18789
    state_dir: ${STATE_ROOT}/main
    workspace: ""
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 3);
  check_at(result.diagnostics[0], "bad-path", 2, 23, "field \"supervisor.log_dir\": ${LOG_ROOT} is not set");
  check_at(result.diagnostics[1], "bad-path", 6, 16, "profile \"main\": field \"state_dir\": ${STATE_ROOT} is not set");
  check_at(result.diagnostics[2], "bad-path", 7, 16, "profile \"main\": field \"workspace\": empty path");
  // No silent default in place of a path the manifest sets.
  const Profile& main = result.manifest->profiles.at(0);
  CHECK(main.state_dir.empty());
  CHECK(main.config_path.empty());
  CHECK(main.workspace.empty());
}

TEST_CASE("every problem is reported in one run, in file order", "[load]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
defaults:
  stop: {signal: NOPE}
profiles:
  main:
    port: "x"
    health: {interval: 5x}
    restart: {policy: sometimes}
  "bad name": {port: 19001}
  rescue:
    port: 19101
    role: rescue
    prot: 1
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 6);
  const std::vector<std::string> codes{"bad-value", "wrong-type",       "bad-duration",
                                       "bad-value", "bad-profile-name", "unknown-key"};
  for (std::size_t i = 0; i < codes.size(); ++i) CHECK(result.diagnostics[i].code == codes[i]);
  for (std::size_t i = 1; i < result.diagnostics.size(); ++i)
    CHECK(result.diagnostics[i - 1].where.line <= result.diagnostics[i].where.line);
}

TEST_CASE("locations name the manifest as it was given", "[load]") {
  ManifestFixture fx;
  fx.write("sub/fleet.yaml", "version: 1\nprofiles:\n  main: {port: x}\n");
  const std::string relative = (fx.root() / "sub/../sub/fleet.yaml").string();
  const auto result = load_manifest(relative, fx.env);
  CHECK(only_diagnostic(result).where.file == relative);
  CHECK(result.manifest->path == (fx.root() / "sub/fleet.yaml").string());
}

TEST_CASE("explicit tags: !!int reads as a number, !!str as a string", "[load][wrong-type]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: !!int 1
profiles:
  main: {port: !!int 18789}
  rescue: {port: !!str 19001}
)");
  // A tagged node starts at its tag.
  check_at(only_diagnostic(result), "wrong-type", 4, 18,
           "profile \"rescue\": field \"port\": expected an integer, got string \"19001\"");
}

TEST_CASE("wrong-type: keys must be plain names", "[load][wrong-type]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
? [version]
: 1
profiles:
  main:
    port: 18789
    ? {nested: key}
    : 1
    env: {[A]: 1}
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 3);
  check_at(result.diagnostics[0], "wrong-type", 1, 3, "keys must be plain names, got a list");
  check_at(result.diagnostics[1], "wrong-type", 6, 7, "profile \"main\": keys must be plain names, got a mapping");
  check_at(result.diagnostics[2], "wrong-type", 8, 11,
           "profile \"main\": field \"env\": variable names must be plain names, got a list");
}

TEST_CASE("unknown-key: YAML merge keys get a pointer to defaults", "[load][unknown-key]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    <<: {autostart: false}
)");
  check_at(
      only_diagnostic(result), "unknown-key", 5, 5,
      "profile \"main\": unknown field \"<<\" (YAML merge keys are not supported; shared settings go in `defaults`)");
}

TEST_CASE("yaml-syntax: nesting too deep is refused, not a crash", "[load][yaml-syntax]") {
  ManifestFixture fx;
  const auto result = fx.load("version: 1\nprofiles: " + std::string(5000, '[') + "\n");
  // Refused by the scan before yaml-cpp, at the 101st bracket.
  check_at(only_diagnostic(result), "yaml-syntax", 2, 111,
           "the YAML is nested too deeply: flow collections ([ ] and { }) may nest at most 100 deep");
  // yaml-cpp's own limit, for block collections (which need no such scan: a block sequence of
  // "- - - ..." costs nothing until the parser refuses it).
  std::string block = "version: 1\nprofiles:\n  main:\n    env:\n      ";
  for (int i = 0; i < 5000; ++i) block += "- ";
  CHECK(only_diagnostic(fx.load(block + "x\n")).message == "the YAML is nested too deeply");
}

namespace {

bool refused_as_too_deep(const config::LoadResult& result) {
  for (const auto& diagnostic : result.diagnostics)
    if (diagnostic.code == "yaml-syntax" && diagnostic.message.starts_with("the YAML is nested too deeply"))
      return true;
  return false;
}

}  // namespace

TEST_CASE("yaml-syntax: the depth scan counts the collections yaml-cpp would open, not brackets in text",
          "[load][yaml-syntax]") {
  ManifestFixture fx;
  const std::string opens(150, '['), closes(150, ']');
  const std::string profile = "version: 1\nprofiles:\n  main:\n    port: 18789\n";
  // 100 deep is allowed (refused later for its type, not its depth); 101 is not, in every place
  // a collection can start.
  const std::string deepest = std::string(100, '[') + std::string(100, ']');
  CHECK_FALSE(refused_as_too_deep(fx.load(profile + "    env: " + deepest + "\n")));
  for (const std::string& deep : {"    env: " + std::string(101, '{') + "\n",
                                  "    env: !!seq &anchor " + std::string(101, '[') + "\n",
                                  "    env: {\"a\":" + std::string(100, '[') + "\n",
                                  "    env:\n      - " + std::string(101, '[') + "\n",
                                  "    env: [\"]]]\", '[', 'a]b', " + std::string(100, '[') + "\n",
                                  "    env:\r\n      " + std::string(101, '[') + "\r\n"}) {
    INFO(deep);
    CHECK(refused_as_too_deep(fx.load(profile + deep)));
  }
  // Brackets that are text: quoted (over lines too), in comments, block scalars, plain scalars
  // and their further lines.
  for (const std::string& text : {"    env: {A: \"" + opens + "\", B: '" + opens + "''" + closes + "'}\n",
                                  "    env: {A: \"x\\\"" + opens + "\n      " + opens + "\"}\n",
                                  "    # " + opens + "\n    env: {A: x} # " + opens + "\n",
                                  "    env:\n      A: |\n        " + opens + "\n\n        '" + opens + "\n",
                                  "    env:\n      A: >-\n        " + opens + "\n",
                                  "    env:\n      A: x" + opens + "\n",
                                  "    env:\n      A: some\n        " + opens + "\n        '" + opens + "\n"}) {
    INFO(text);
    const auto result = fx.load(profile + text);
    INFO(listing(result.diagnostics));
    CHECK_FALSE(refused_as_too_deep(result));
  }
}

TEST_CASE("bad-value: lists, env, browser profiles and profiles have sane limits", "[load][bad-value]") {
  ManifestFixture fx;
  std::string args, env, browsers, profiles;
  for (int i = 0; i < 1001; ++i) args += fmt::format("a{}, ", i);
  for (int i = 0; i < 1001; ++i) env += fmt::format("V{}: x, ", i);
  for (int i = 0; i < 101; ++i) browsers += fmt::format("b{}: {{}}, ", i);
  auto result = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n    command: [" + args + "]\n    env: {" +
                        env + "}\n    browser: {profiles: {" + browsers + "}}\n");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 3);
  check_at(result.diagnostics[0], "bad-value", 5, 14,
           "profile \"main\": field \"command\": has 1001 entries; at most 1000 are allowed");
  check_at(result.diagnostics[1], "bad-value", 6, 10,
           "profile \"main\": field \"env\": has 1001 entries; at most 1000 are allowed");
  check_at(result.diagnostics[2], "bad-value", 7, 25,
           "profile \"main\": field \"browser.profiles\": has 101 entries; at most 100 are allowed");

  for (int i = 0; i < 1001; ++i) profiles += fmt::format("  p{}: {{port: {}}}\n", i, 1000 + i);
  result = fx.load("version: 1\nprofiles:\n" + profiles);
  check_at(only_diagnostic(result), "bad-value", 3, 3,
           "field \"profiles\": has 1001 entries; at most 1000 are allowed");
}
