// The plan of a reload: which profiles a new manifest adds, removes, changes or keeps, and which
// supervisor settings it would change.
#include <catch2/catch.hpp>

#include "load_fixture.h"
#include "moltbot/config/manifest_diff.h"

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
