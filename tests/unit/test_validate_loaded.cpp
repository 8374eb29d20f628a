// The validator on manifests that went through the real loader: what the gateway's config file
// pins, paths spelled through ".." or a symlink, ${VAR} credentials, the documented pair.
#include <catch2/catch.hpp>

#include <filesystem>

#include "moltbot/config/load.h"
#include "moltbot/config/validate.h"
#include "moltbot/test/temp_dir.h"
#include "validate_matchers.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::has_message;
using moltbot::test::TempDir;
using moltbot::test::with_code;

namespace {

// Loads `yaml` as <dir>/fleet.yaml with HOME=<dir>/home; the loader must accept it.
Manifest load(const TempDir& dir, const std::string& yaml) {
  const auto path = dir.write("fleet.yaml", yaml);
  LoadResult loaded = load_manifest(path.string(), Environment{{"HOME", (dir.path() / "home").string()}});
  INFO("file error: " << loaded.file_error.value_or("none"));
  REQUIRE(loaded.manifest);
  for (const Diagnostic& d : loaded.diagnostics) INFO(d.message);
  REQUIRE_FALSE(has_errors(loaded.diagnostics));
  return std::move(*loaded.manifest);
}

std::string home_of(const TempDir& dir) { return (dir.path() / "home").string(); }

}  // namespace

TEST_CASE("loaded: the documented main/rescue pair is valid", "[validate][loaded]") {
  TempDir dir;
  Manifest manifest = load(dir, R"(version: 1
defaults:
  layout: clawdbot
profiles:
  main:
    port: 18789
    state_dir: ~/.clawdbot-main
    config_path: ~/.clawdbot/main.json
  rescue:
    role: rescue
    port: 19001
)");
  CHECK(validate(manifest).empty());
}

TEST_CASE("loaded: a control port pinned in the gateway config file moves the ports compared", "[validate][loaded]") {
  TempDir dir;
  dir.write("home/.openclaw-alpha/openclaw.json", R"({"browser": {"controlPort": 19001}})");
  Manifest manifest = load(dir, R"(version: 1
profiles:
  alpha:
    port: 18789
  beta:
    port: 19001
)");
  auto found = validate(manifest);
  CHECK(has_message(found, R"(profile "beta": gateway port 19001 is also the browser control port 19001 of profile "alpha")"));
  // The CDP range follows the pinned control port: 19010..19109, into beta's.
  CHECK(has_message(found, R"(profile "beta": CDP range 19012..19111 overlaps the CDP range 19010..19109 of profile "alpha")"));
  const auto overlaps = with_code(found, "port-overlap");
  REQUIRE_FALSE(overlaps.empty());
  // The note points into the config file, where the port is pinned.
  CHECK(overlaps[0].related.at(0).where.file == home_of(dir) + "/.openclaw-alpha/openclaw.json");
}

TEST_CASE("loaded: a state dir spelled through \"..\" is the same state dir", "[validate][loaded]") {
  TempDir dir;
  Manifest manifest = load(dir, R"(version: 1
profiles:
  alpha:
    port: 18789
  beta:
    port: 19001
    state_dir: ~/somewhere/../.openclaw-alpha
    workspace: ~/beta-workspace
)");
  auto found = with_code(validate(manifest), "path-overlap");
  REQUIRE(found.size() == 2);
  CHECK(found[0].message == "profile \"beta\": state dir and config folder " + home_of(dir) +
                                "/.openclaw-alpha is also the state dir and config folder of profile \"alpha\"; "
                                "gateways keep stores such as cron next to their config file");
  CHECK(found[0].where.line == 7);
  // The openclaw layout keeps alpha's workspace in that state dir.
  CHECK(found[1].message == "profile \"beta\": state dir and config folder " + home_of(dir) +
                                "/.openclaw-alpha contains the workspace " + home_of(dir) +
                                "/.openclaw-alpha/workspace of profile \"alpha\"");
}

TEST_CASE("loaded: a workspace reached through a symlink lies inside the other profile's state dir",
          "[validate][loaded]") {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "home/.openclaw-alpha/shared");
  std::filesystem::create_directory_symlink(dir.path() / "home/.openclaw-alpha", dir.path() / "home/link");
  Manifest manifest = load(dir, R"(version: 1
profiles:
  alpha:
    port: 18789
  beta:
    port: 19001
    workspace: ~/link/shared/beta
)");
  auto found = with_code(validate(manifest), "path-overlap");
  REQUIRE(found.size() == 1);
  CHECK(found[0].message == "profile \"beta\": workspace " + home_of(dir) +
                                "/.openclaw-alpha/shared/beta lies inside the state dir and config folder " +
                                home_of(dir) + "/.openclaw-alpha of profile \"alpha\"");
}

TEST_CASE("loaded: a workspace set in the gateway config file is the one compared", "[validate][loaded]") {
  TempDir dir;
  dir.write("home/.openclaw-beta/openclaw.json",
            R"({"agents": {"defaults": {"workspace": "~/.openclaw-alpha/beta-ws"}}})");
  Manifest manifest = load(dir, R"(version: 1
profiles:
  alpha:
    port: 18789
  beta:
    port: 19001
)");
  auto found = with_code(validate(manifest), "path-overlap");
  REQUIRE(found.size() == 1);
  CHECK(found[0].message.find("workspace " + home_of(dir) + "/.openclaw-alpha/beta-ws lies inside") !=
        std::string::npos);
  CHECK(found[0].where.file == home_of(dir) + "/.openclaw-beta/openclaw.json");
}

TEST_CASE("loaded: a credential shared through ${VAR} from an env_file", "[validate][loaded]") {
  TempDir dir;
  const std::string secret = "123456:AAH-loaded-secret";
  dir.write("home/.openclaw-alpha/openclaw.json", R"({"channels": {"telegram": {"botToken": ")" + secret + R"("}}})");
  dir.write("home/.openclaw-beta/openclaw.json", R"({"channels": {"telegram": {"botToken": "${TG_TOKEN}"}}})");
  dir.write_private("beta.env", "TG_TOKEN=" + secret + "\n");
  Manifest manifest = load(dir, R"(version: 1
profiles:
  alpha:
    port: 18789
  beta:
    role: rescue
    port: 19001
    env_file: beta.env
)");
  auto found = validate(manifest);
  REQUIRE(found.size() == 1);
  CHECK(found[0].code == "credential-shared");
  CHECK(found[0].message.find(secret) == std::string::npos);
  REQUIRE(found[0].related.size() == 2);
  CHECK(found[0].related[1].message == R"(profile "beta" is a rescue profile: it must share nothing with other profiles)");
}

TEST_CASE("loaded: a port that only collides after the fallback past 65535", "[validate][loaded]") {
  TempDir dir;
  Manifest manifest = load(dir, R"(version: 1
profiles:
  main:
    port: 18789
  high:
    port: 65530
)");
  auto found = validate(manifest);
  CHECK(has_message(found, R"(profile "high": CDP range 65541..65640 exceeds 65535; the gateway would silently fall back to 18800..18899)"));
  CHECK(has_message(found, R"(profile "high": CDP range 18800..18899 (silent fallback from 65541..65640) overlaps the CDP range 18800..18899 of profile "main")"));
  CHECK(found.size() == 2);
}
