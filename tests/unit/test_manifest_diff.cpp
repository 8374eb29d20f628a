// The plan of a reload: which profiles a new manifest adds, removes, changes or keeps, and which
// supervisor settings it would change.
#include <catch2/catch.hpp>

#include "load_fixture.h"
#include "moltbot/config/manifest_diff.h"

#include <functional>

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::clean_manifest;
using moltbot::test::ManifestFixture;
using Names = std::vector<std::string>;

namespace {

constexpr const char* base_yaml = R"(
version: 1
supervisor: {socket: ./a.sock, log_dir: ./logs}
defaults:
  stop: {signal: SIGTERM, timeout: 5s}
profiles:
  main:
    port: 18789
  rescue:
    role: rescue
    port: 19001
    stop: {timeout: 20s}
)";

Manifest load(ManifestFixture& fx, std::string_view yaml) { return clean_manifest(fx.load(yaml)); }

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the same manifest changes nothing", "[diff]") {
  ManifestFixture fx;
  const auto before = load(fx, base_yaml);
  const auto after = load(fx, base_yaml);
  const auto changes = diff_profiles(before.profiles, after.profiles);
  CHECK(changes.unchanged == Names{"main", "rescue"});
  CHECK(changes.added.empty());
  CHECK(changes.removed.empty());
  CHECK(changes.changed.empty());
  CHECK(changed_settings(before.supervisor, after.supervisor).empty());
}

TEST_CASE("moved lines and comments do not make a profile changed", "[diff]") {
  ManifestFixture fx;
  const auto before = load(fx, base_yaml);
  const auto after = load(fx, replaced(base_yaml, "profiles:\n", "profiles:\n  # a comment\n  first:\n    port: 20001\n"));
  REQUIRE(after.find("main")->where.line != before.find("main")->where.line);
  const auto changes = diff_profiles(before.profiles, after.profiles);
  CHECK(changes.added == Names{"first"});
  CHECK(changes.unchanged == Names{"main", "rescue"});
  CHECK(changes.changed.empty());
}

TEST_CASE("every kind of change to an entry makes it changed, and only it", "[diff]") {
  const auto [what, from, to] = GENERATE(table<std::string, std::string, std::string>({
      {"port", "port: 18789", "port: 18889"},
      {"env", "port: 18789", "port: 18789\n    env: {EXTRA: \"1\"}"},
      {"command", "port: 18789", "port: 18789\n    command: [gw, --port, \"{port}\"]"},
      {"state dir", "port: 18789", "port: 18789\n    state_dir: ~/elsewhere"},
      {"health", "port: 18789", "port: 18789\n    health: {interval: 1s}"},
      {"restart", "port: 18789", "port: 18789\n    restart: {max_restarts: 3}"},
      {"stop", "port: 18789", "port: 18789\n    stop: {signal: SIGINT}"},
      {"autostart", "port: 18789", "port: 18789\n    autostart: false"},
      {"canvas port", "port: 18789", "port: 18789\n    canvas_port: 18950"},
  }));
  INFO(what);
  ManifestFixture fx;
  const auto before = load(fx, base_yaml);
  const auto after = load(fx, replaced(base_yaml, from, to));
  const auto changes = diff_profiles(before.profiles, after.profiles);
  CHECK(changes.changed == Names{"main"});
  CHECK(changes.unchanged == Names{"rescue"});
}

TEST_CASE("a changed default changes the profiles that inherit it, not one that overrides it", "[diff]") {
  ManifestFixture fx;
  const auto before = load(fx, base_yaml);
  const auto after = load(fx, replaced(base_yaml, "timeout: 5s", "timeout: 7s"));
  const auto changes = diff_profiles(before.profiles, after.profiles);
  CHECK(changes.changed == Names{"main"});
  CHECK(changes.unchanged == Names{"rescue"});
}

TEST_CASE("added and removed profiles keep their manifests' order", "[diff]") {
  ManifestFixture fx;
  const auto before = load(fx, base_yaml);
  const auto after = load(fx, R"(
version: 1
supervisor: {socket: ./a.sock, log_dir: ./logs}
profiles:
  zeta:
    port: 21001
  alpha:
    port: 22001
)");
  const auto changes = diff_profiles(before.profiles, after.profiles);
  CHECK(changes.added == Names{"zeta", "alpha"});
  CHECK(changes.removed == Names{"main", "rescue"});
  CHECK(changes.unchanged.empty());
}

TEST_CASE("supervisor settings that changed are named with both values", "[diff]") {
  ManifestFixture fx;
  const auto before = load(fx, base_yaml);
  const auto after = load(fx, replaced(replaced(base_yaml, "./a.sock", "./b.sock"), "./logs", "./other-logs"));
  const auto changed = changed_settings(before.supervisor, after.supervisor);
  REQUIRE(changed.size() == 2);
  CHECK(changed[0] == "supervisor.socket: " + (fx.root() / "a.sock").string() + " -> " + (fx.root() / "b.sock").string());
  CHECK(changed[1].starts_with("supervisor.log_dir: "));
  CHECK(diff_profiles(before.profiles, after.profiles).unchanged == Names{"main", "rescue"});
}

TEST_CASE("a changed on_crash is named, and changes no profile", "[diff]") {
  ManifestFixture fx;
  const auto before = load(fx, base_yaml);
  const auto after = load(fx, replaced(base_yaml, "log_dir: ./logs}", "log_dir: ./logs, on_crash: restart}"));
  CHECK(changed_settings(before.supervisor, after.supervisor) == Names{"supervisor.on_crash: adopt -> restart"});
  CHECK(diff_profiles(before.profiles, after.profiles).unchanged == Names{"main", "rescue"});
}

TEST_CASE("changed control grants need no supervisor restart (a reload applies them), and change no profile",
          "[diff]") {
  ManifestFixture fx;
  const auto before = load(fx, base_yaml);
  const auto after = load(fx, std::string(base_yaml) + "control:\n  grants:\n    - {user: root, profiles: [main], "
                                                      "commands: [status]}\n");
  CHECK(changed_settings(before.supervisor, after.supervisor).empty());
  CHECK(diff_profiles(before.profiles, after.profiles).unchanged == Names{"main", "rescue"});
}

// entry_hash must call changed exactly what same_entry calls changed: a field of Profile that it
// leaves out would let a supervisor adopt a gateway whose entry changed. The sizes below fail the
// build when a field is added, as a reminder to add it to entry_hash and to this list.
#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(Profile) == 1016 && sizeof(Limits) == 72 && sizeof(Account) == 128 && sizeof(ProfilePorts) == 56 && sizeof(PortUse) == 96 &&
                  sizeof(RestartSpec) == 80 && sizeof(Backoff) == 24 && sizeof(HealthSpec) == 184 &&
                  sizeof(StopSpec) == 16 && sizeof(BrowserProfile) == 80 && sizeof(ChannelCredential) == 128 &&
                  sizeof(PinnedPorts) == 28,
              "a field was added to config::Profile or a part of it: add it to entry_hash (config/src/entry_hash.cpp) "
              "and to the changes of \"entry_hash: every field...\" below, then update these sizes");
#endif

TEST_CASE("entry_hash: every field of an entry changes it, where it was written does not", "[diff][hash]") {
  ManifestFixture fx;
  const auto manifest = load(fx, base_yaml);
  Profile base = *manifest.find("main");
  base.ports.uses.resize(1);
  base.browser_profiles = {{"work", 19020, std::nullopt}};
  base.credentials = {{"telegram", "", "botToken", "t0ken"}};
  base.health.ready_path = "/readyz";
  base.run_as = Account{"gw", "gw", 1001, 1001, {1001}, "/var/lib/gw"};
  using Change = std::function<void(Profile&)>;
  const std::vector<std::pair<std::string, Change>> changes{
      {"name", [](Profile& p) { p.name += "2"; }},
      {"role", [](Profile& p) { p.role = Role::rescue; }},
      {"layout", [](Profile& p) { p.layout = Layout::clawdbot; }},
      {"config_path", [](Profile& p) { p.config_path += ".x"; }},
      {"state_dir", [](Profile& p) { p.state_dir += "x"; }},
      {"workspace", [](Profile& p) { p.workspace += "x"; }},
      {"ports.gateway", [](Profile& p) { ++p.ports.gateway; }},
      {"ports.bridge", [](Profile& p) { ++p.ports.bridge; }},
      {"ports.browser_control", [](Profile& p) { ++p.ports.browser_control; }},
      {"ports.extension_relay", [](Profile& p) { ++p.ports.extension_relay; }},
      {"ports.canvas", [](Profile& p) { ++p.ports.canvas; }},
      {"ports.cdp_start", [](Profile& p) { ++p.ports.cdp_start; }},
      {"ports.cdp_end", [](Profile& p) { ++p.ports.cdp_end; }},
      {"ports.uses name", [](Profile& p) { p.ports.uses[0].name += "x"; }},
      {"ports.uses range", [](Profile& p) { ++p.ports.uses[0].range.last; }},
      {"ports.uses fell_back", [](Profile& p) { p.ports.uses[0].fell_back = !p.ports.uses[0].fell_back; }},
      {"ports.uses derived", [](Profile& p) { ++p.ports.uses[0].derived.first; }},
      {"ports.uses count", [](Profile& p) { p.ports.uses.push_back(p.ports.uses[0]); }},
      {"pinned browser_control", [](Profile& p) { p.pinned_ports.browser_control = 19003; }},
      {"pinned canvas", [](Profile& p) { p.pinned_ports.canvas = 19005; }},
      {"pinned cdp_range", [](Profile& p) { p.pinned_ports.cdp_range = PortRange{19012, 19111}; }},
      {"browser profile name", [](Profile& p) { p.browser_profiles[0].name = "home"; }},
      {"browser profile cdp_port", [](Profile& p) { p.browser_profiles[0].cdp_port = 19021; }},
      {"browser profile cdp_url", [](Profile& p) { p.browser_profiles[0].cdp_url = "http://127.0.0.1:9333"; }},
      {"cdp_urls", [](Profile& p) { p.cdp_urls.push_back("http://127.0.0.1:9333"); }},
      {"command", [](Profile& p) { p.command.push_back("--verbose"); }},
      {"cli", [](Profile& p) { p.cli.clear(); }},
      {"env value", [](Profile& p) { p.env["EXTRA"] = "1"; }},
      {"env_file", [](Profile& p) { p.env_file = "/etc/moltbot/main.env"; }},
      {"autostart", [](Profile& p) { p.autostart = !p.autostart; }},
      {"restart.policy", [](Profile& p) { p.restart.policy = RestartPolicy::never; }},
      {"restart.backoff.initial", [](Profile& p) { p.restart.backoff.initial += Millis(1); }},
      {"restart.backoff.max", [](Profile& p) { p.restart.backoff.max += Millis(1); }},
      {"restart.backoff.factor", [](Profile& p) { p.restart.backoff.factor += 0.5; }},
      {"restart.reset_after", [](Profile& p) { p.restart.reset_after += Millis(1); }},
      {"restart.max_restarts", [](Profile& p) { ++p.restart.max_restarts; }},
      {"restart.window", [](Profile& p) { p.restart.window += Millis(1); }},
      {"restart.no_restart_exit_codes", [](Profile& p) { p.restart.no_restart_exit_codes.push_back(1); }},
      {"health.type", [](Profile& p) { p.health.type = HealthType::tcp; }},
      {"health.path", [](Profile& p) { p.health.path = "/livez"; }},
      {"health.command", [](Profile& p) { p.health.command = {"/bin/true"}; }},
      {"health.interval", [](Profile& p) { p.health.interval += Millis(1); }},
      {"health.timeout", [](Profile& p) { p.health.timeout += Millis(1); }},
      {"health.failures", [](Profile& p) { ++p.health.failures; }},
      {"health.start_period", [](Profile& p) { p.health.start_period += Millis(1); }},
      {"health.start_interval", [](Profile& p) { p.health.start_interval += Millis(1); }},
      {"health.ready_path", [](Profile& p) { p.health.ready_path.reset(); }},
      {"health.startup_path", [](Profile& p) { p.health.startup_path = "/started"; }},
      {"stop.signal", [](Profile& p) { p.stop.signal = 2; }},
      {"stop.timeout", [](Profile& p) { p.stop.timeout += Millis(1); }},
      {"limits.memory", [](Profile& p) { p.limits.memory = 1u << 30; }},
      {"limits.cpus", [](Profile& p) { p.limits.cpus = 1.5; }},
      {"limits.pids", [](Profile& p) { p.limits.pids = 512; }},
      {"limits.nofile", [](Profile& p) { p.limits.nofile = 65536; }},
      {"limits.oom_score_adj", [](Profile& p) { p.limits.oom_score_adj = -100; }},
      {"credential channel", [](Profile& p) { p.credentials[0].channel = "discord"; }},
      {"credential account", [](Profile& p) { p.credentials[0].account = "work"; }},
      {"credential field", [](Profile& p) { p.credentials[0].field = "token"; }},
      {"credential value", [](Profile& p) { p.credentials[0].value = "other"; }},
      {"run_as set", [](Profile& p) { p.run_as.reset(); }},
      {"run_as user", [](Profile& p) { p.run_as->user = "other"; }},
      {"run_as group", [](Profile& p) { p.run_as->group = "other"; }},
      {"run_as uid", [](Profile& p) { ++p.run_as->uid; }},
      {"run_as gid", [](Profile& p) { ++p.run_as->gid; }},
      {"run_as groups", [](Profile& p) { p.run_as->groups.push_back(4); }},
      {"run_as home", [](Profile& p) { p.run_as->home += "x"; }},
  };
  for (const auto& [what, change] : changes) {
    INFO(what);
    Profile changed = base;
    change(changed);
    CHECK_FALSE(same_entry(base, changed));
    CHECK(entry_hash(changed) != entry_hash(base));
  }

  Profile moved = base;
  moved.where.line += 10;
  moved.field_locations["port"].line += 10;
  moved.ports.uses[0].where.column += 3;
  CHECK(same_entry(base, moved));
  CHECK(entry_hash(moved) == entry_hash(base));
}

TEST_CASE("entry_hash: the same manifest loaded again gives the same hashes, a changed entry another", "[diff][hash]") {
  ManifestFixture fx;
  const auto before = load(fx, base_yaml);
  const auto again = load(fx, replaced(base_yaml, "profiles:\n", "profiles:\n  # moved down a line\n"));
  const auto after = load(fx, replaced(base_yaml, "port: 18789", "port: 18889"));
  CHECK(entry_hash(*again.find("main")) == entry_hash(*before.find("main")));
  CHECK(entry_hash(*again.find("rescue")) == entry_hash(*before.find("rescue")));
  CHECK(entry_hash(*after.find("main")) != entry_hash(*before.find("main")));
  CHECK(entry_hash(*after.find("rescue")) == entry_hash(*before.find("rescue")));
  CHECK(entry_hash(*before.find("main")) != entry_hash(*before.find("rescue")));
}
