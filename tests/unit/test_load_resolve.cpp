// Resolution: default and explicit paths (expanded, normalised), ports and their sources,
// supervisor defaults, env files.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "load_fixture.h"
#include "moltbot/config/supervisor_defaults.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::clean_manifest;
using moltbot::test::listing;
using moltbot::test::ManifestFixture;
using moltbot::test::only_diagnostic;
namespace fs = std::filesystem;

namespace {

const PortUse& use_named(const Profile& profile, const std::string& name) {
  for (const PortUse& use : profile.ports.uses)
    if (use.name == name) return use;
  FAIL("no port use named " << name);
  throw std::logic_error("unreachable");
}

void check_use(const Profile& profile, const std::string& name, PortRange range, int line, int column,
               bool fell_back = false) {
  INFO("port use " << name);
  const PortUse& use = use_named(profile, name);
  CHECK(use.range.first == range.first);
  CHECK(use.range.last == range.last);
  CHECK(use.where.line == line);
  CHECK(use.where.column == column);
  CHECK(use.fell_back == fell_back);
}

}  // namespace

TEST_CASE("paths: ~, ${VAR} and relative to the manifest's folder", "[load][paths]") {
  ManifestFixture fx;
  fx.env["FLEET_ROOT"] = (fx.root() / "fleet").string();
  fx.write_private("main.env", "A=1\n");
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    state_dir: ~/state/main
    config_path: ${FLEET_ROOT}/main/clawdbot.json
    workspace: work/main
    env_file: secrets/../main.env
)");
  const Profile& main = clean_manifest(result).profiles.at(0);
  CHECK(main.state_dir == (fx.home() / "state/main").string());
  CHECK(main.config_path == (fx.root() / "fleet/main/clawdbot.json").string());
  CHECK(main.workspace == (fx.root() / "work/main").string());
  CHECK(main.env_file == (fx.root() / "main.env").string());
  CHECK(main.location_of("state_dir").line == 5);
  CHECK(main.location_of("workspace").column == 16);
}

TEST_CASE("paths: .. and symlinked folders are normalised", "[load][paths]") {
  ManifestFixture fx;
  fs::create_directories(fx.root() / "real/state");
  fs::create_directory_symlink(fx.root() / "real", fx.root() / "link");
  fs::create_directory_symlink(fx.root() / "real", fx.home() / "linked-home");
  const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    state_dir: link/state/../state/./main
    workspace: ./link/../link/ws/
  rescue:
    port: 19001
    state_dir: ~/linked-home/state/rescue
)");
  const Manifest& manifest = clean_manifest(result);
  CHECK(manifest.profiles[0].state_dir == (fx.root() / "real/state/main").string());
  CHECK(manifest.profiles[0].workspace == (fx.root() / "real/ws").string());
  CHECK(manifest.profiles[0].config_path == (fx.root() / "real/state/main/openclaw.json").string());
  CHECK(manifest.profiles[1].state_dir == (fx.root() / "real/state/rescue").string());
}

TEST_CASE("paths: a symlinked HOME is resolved in the default paths", "[load][paths]") {
  ManifestFixture fx;
  fs::create_directory(fx.root() / "real-home");
  fs::create_directory_symlink(fx.root() / "real-home", fx.root() / "home-link");
  fx.env["HOME"] = (fx.root() / "home-link").string();
  const auto loaded = fx.load("version: 1\nprofiles: {default: {port: 18789}}\n");
  const Profile& p = clean_manifest(loaded).profiles.at(0);
  CHECK(p.state_dir == (fx.root() / "real-home/.openclaw").string());
  CHECK(p.workspace == (fx.root() / "real-home/.openclaw/workspace").string());
}

TEST_CASE("paths: a rescue profile's default workspace carries -rescue in the clawdbot layout", "[load][paths]") {
  ManifestFixture fx;
  const auto loaded = fx.load(R"(
version: 1
defaults:
  layout: clawdbot
profiles:
  rescue: {port: 19001, role: rescue}
  backup: {port: 19201, role: rescue}
  spare: {port: 19401, role: rescue, layout: openclaw}
)");
  const Manifest& manifest = clean_manifest(loaded);
  CHECK(manifest.profiles[0].workspace == (fx.home() / "clawd-rescue").string());
  CHECK(manifest.profiles[1].workspace == (fx.home() / "clawd-backup-rescue").string());
  // The openclaw layout keeps the workspace in the profile's own state dir: nothing to tell apart.
  CHECK(manifest.profiles[2].workspace == (fx.home() / ".openclaw-spare/workspace").string());
}

TEST_CASE("ports: everything derived from the gateway port points at it", "[load][ports]") {
  ManifestFixture fx;
  const auto loaded = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n");
  const Profile& p = clean_manifest(loaded).profiles.at(0);
  CHECK(p.ports.gateway == 18789);
  CHECK(p.ports.bridge == 18790);
  CHECK(p.ports.browser_control == 18791);
  CHECK(p.ports.extension_relay == 18792);
  CHECK(p.ports.canvas == 18793);
  CHECK(p.ports.cdp_start == 18800);
  CHECK(p.ports.cdp_end == 18899);
  REQUIRE(p.ports.uses.size() == 6);
  check_use(p, "gateway", {18789, 18789}, 4, 11);
  check_use(p, "bridge", {18790, 18790}, 4, 11);
  check_use(p, "browser control", {18791, 18791}, 4, 11);
  check_use(p, "extension relay", {18792, 18792}, 4, 11);
  check_use(p, "canvas host", {18793, 18793}, 4, 11);
  check_use(p, "CDP range", {18800, 18899}, 4, 11);
}

TEST_CASE("ports: the spec's rescue profile, with every port pinned in the manifest", "[load][ports]") {
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
profiles:
  rescue:
    role: rescue
    port: 19001
    browser:
      control_port: 19003
      cdp_port_range: [19012, 19111]
      profiles: {work: {cdp_port: 19020}, remote: {cdp_url: "http://10.0.0.5:9222"}, local: {cdp_url: "ws://localhost:9333/devtools"}}
    canvas_port: 19005
)");
  const Profile& p = clean_manifest(result).profiles.at(0);
  check_use(p, "gateway", {19001, 19001}, 5, 11);
  check_use(p, "browser control", {19003, 19003}, 7, 21);
  check_use(p, "extension relay", {19004, 19004}, 5, 11);
  check_use(p, "canvas host", {19005, 19005}, 10, 18);
  check_use(p, "CDP range", {19012, 19111}, 8, 23);
  check_use(p, "CDP port of browser profile work", {19020, 19020}, 9, 35);
  check_use(p, "cdpUrl of browser profile local", {9333, 9333}, 9, 103);
  CHECK(p.ports.uses.size() == 8);  // the remote cdpUrl is not a port of this machine
  CHECK(p.cdp_urls == std::vector<std::string>{"http://10.0.0.5:9222", "ws://localhost:9333/devtools"});
  CHECK(p.location_of("browser").line == 7);
  CHECK(p.location_of("browser.profiles.work.cdp_port").column == 35);
}

TEST_CASE("ports: a moved control port moves the CDP range with it", "[load][ports]") {
  ManifestFixture fx;
  const auto loaded = fx.load("version: 1\nprofiles:\n  main:\n    port: 18789\n    browser: {control_port: 20000}\n");
  const Profile& p = clean_manifest(loaded).profiles.at(0);
  check_use(p, "CDP range", {20009, 20108}, 5, 29);
}

TEST_CASE("ports: past 65535 the gateway's global defaults are recorded, marked fell_back", "[load][ports]") {
  ManifestFixture fx;
  const auto loaded = fx.load("version: 1\nprofiles:\n  edge:\n    port: 65533\n");
  const Profile& p = clean_manifest(loaded).profiles.at(0);
  check_use(p, "gateway", {65533, 65533}, 4, 11);
  check_use(p, "bridge", {65534, 65534}, 4, 11);
  check_use(p, "browser control", {65535, 65535}, 4, 11);
  check_use(p, "extension relay", {18792, 18792}, 4, 11, true);
  check_use(p, "canvas host", {18793, 18793}, 4, 11, true);
  check_use(p, "CDP range", {18800, 18899}, 4, 11, true);
  CHECK(use_named(p, "canvas host").derived.first == 65537);
  CHECK(use_named(p, "CDP range").derived.first == 65544);
  CHECK(use_named(p, "CDP range").derived.last == 65643);
  CHECK(p.ports.canvas == 18793);
  CHECK(p.ports.cdp_start == 18800);
}

TEST_CASE("supervisor defaults follow the environment and the user", "[load][supervisor]") {
  const Environment none;
  CHECK(default_socket_path(Environment{{"RUNTIME_DIRECTORY", "/run/moltbot-sd"}}, 1000) ==
        "/run/moltbot-sd/supervisord.sock");
  CHECK(default_socket_path(Environment{{"RUNTIME_DIRECTORY", "/run/a:/run/b"}}, 0) == "/run/a/supervisord.sock");
  CHECK(default_socket_path(none, 0) == "/run/moltbot/supervisord.sock");
  CHECK(default_socket_path(Environment{{"XDG_RUNTIME_DIR", "/run/user/1000"}}, 1000) ==
        "/run/user/1000/moltbot/supervisord.sock");
  CHECK(default_socket_path(none, 1000) == "/tmp/moltbot-1000/supervisord.sock");

  CHECK(default_log_dir(Environment{{"HOME", "/root"}}, 0) == "/var/log/moltbot");
  CHECK(default_log_dir(Environment{{"XDG_STATE_HOME", "/s"}, {"HOME", "/home/op"}}, 1000) == "/s/moltbot/log");
  CHECK(default_log_dir(Environment{{"HOME", "/home/op"}}, 1000) == "/home/op/.local/state/moltbot/log");
  CHECK(default_log_dir(none, 1000) == "/tmp/moltbot-1000/log");
}

TEST_CASE("supervisor socket and log_dir are resolved against the manifest's folder", "[load][supervisor]") {
  ManifestFixture fx;
  const auto loaded = fx.load(R"(
version: 1
supervisor: {socket: ./run/../run/sv.sock, log_dir: ~/logs}
profiles: {main: {port: 18789}}
)");
  const Manifest& manifest = clean_manifest(loaded);
  CHECK(manifest.supervisor.socket == (fx.root() / "run/sv.sock").string());
  CHECK(manifest.supervisor.log_dir == (fx.home() / "logs").string());
}

TEST_CASE("env-file-unreadable: missing or malformed env_file", "[load][env-file-unreadable]") {
  ManifestFixture fx;
  fx.write_private("bad.env", "TOKEN=ok\nthis is not an assignment\n");
  const auto result = fx.load(R"(
version: 1
defaults:
  env_file: missing.env
profiles:
  main:
    port: 18789
    env_file: bad.env
  other:
    port: 19001
)");
  INFO(listing(result.diagnostics));
  REQUIRE(result.diagnostics.size() == 2);
  const Diagnostic& missing = result.diagnostics[0];
  CHECK(missing.code == "env-file-unreadable");
  CHECK(missing.where.line == 3);
  CHECK(missing.where.column == 13);
  CHECK(missing.message == "field \"defaults.env_file\": " + (fx.root() / "missing.env").string() + ": no such file");
  const Diagnostic& malformed = result.diagnostics[1];
  CHECK(malformed.code == "env-file-unreadable");
  CHECK(malformed.where.line == 7);
  CHECK(malformed.where.column == 15);
  CHECK(malformed.message ==
        "profile \"main\": field \"env_file\": " + (fx.root() / "bad.env").string() + ":2: expected NAME=VALUE");
}

TEST_CASE("bad-value: an env_file may not set the profile's identity either", "[load][bad-value]") {
  ManifestFixture fx;
  fx.write_private("main.env", "TOKEN=x\nMOLTBOT_GATEWAY_PORT=1\n");
  const auto result = fx.load("version: 1\nprofiles:\n  main: {port: 18789, env_file: main.env}\n");
  const Diagnostic& d = only_diagnostic(result);
  CHECK(d.code == "bad-value");
  CHECK(d.where.line == 3);
  CHECK(d.where.column == 33);
  CHECK(d.message == "profile \"main\": field \"env_file\": " + (fx.root() / "main.env").string() +
                         ":2: MOLTBOT_GATEWAY_PORT is set by the supervisor from the profile (name, port, state_dir, "
                         "config_path); set those fields instead");
}
