// The gateway config file created before a start: what it holds, its modes, and that it never
// replaces or follows what is already at the path.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "load_fixture.h"
#include "moltbot/config/gateway_config_seed.h"
#include "moltbot/test/temp_dir.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::clean_manifest;
using moltbot::test::ManifestFixture;
using moltbot::test::read_file;
using moltbot::test::TempDir;
namespace fs = std::filesystem;

namespace {

Profile profile_at(const fs::path& config_path, int port = 18789) {
  Profile profile;
  profile.name = "main";
  profile.config_path = config_path.string();
  profile.ports.gateway = port;
  return profile;
}

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

// Only `expected` in `dir`: no temporary file left behind.
void check_only(const fs::path& dir, const std::vector<std::string>& expected) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == expected);
}

// Writes fail past `bytes` bytes (EFBIG) while it lives.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = ::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, previous_);
  }

 private:
  rlimit saved_{};
  sighandler_t previous_{};
};

}  // namespace

TEST_CASE("seed: a missing config file is created 0600 in 0700 folders with gateway.port", "[seed]") {
  TempDir dir;
  const fs::path path = dir.path() / "state/main/openclaw.json";
  const ConfigSeed seed = seed_gateway_config(profile_at(path));
  REQUIRE_FALSE(seed.error);
  CHECK(seed.created);
  CHECK(seed.settings == "gateway.port 18789");
  CHECK(read_file(path) == "{\n  \"gateway\": {\n    \"port\": 18789\n  }\n}\n");
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(dir.path() / "state") == 0700);
  CHECK(mode_of(dir.path() / "state/main") == 0700);
  check_only(path.parent_path(), {"openclaw.json"});

  SECTION("a second call leaves it as it is") {
    fs::permissions(path, fs::perms(0640));
    const ConfigSeed again = seed_gateway_config(profile_at(path, 19001));
    CHECK_FALSE(again.error);
    CHECK_FALSE(again.created);
    CHECK(read_file(path).find("18789") != std::string::npos);
    CHECK(mode_of(path) == 0640);
  }
}

TEST_CASE("seed: the pinned ports go in too, so the file gives the footprint that was checked", "[seed]") {
  ManifestFixture fx;
  const std::string yaml = R"(
version: 1
profiles:
  main:
    port: 18789
    canvas_port: 18950
    browser:
      control_port: 19103
      cdp_port_range: [21000, 21099]
      profiles:
        work: {cdp_port: 21005}
        chrome: {cdp_url: "http://127.0.0.1:9222"}
)";
  const Profile before = clean_manifest(fx.load(yaml)).profiles.at(0);
  const ConfigSeed seed = seed_gateway_config(before);
  REQUIRE_FALSE(seed.error);
  REQUIRE(seed.created);
  CHECK(seed.settings ==
        "gateway.port 18789, browser.controlPort 19103, canvasHost.port 18950, browser.cdpPortRangeStart 21000, "
        "browser.profiles.work.cdpPort 21005, browser.profiles.chrome.cdpUrl \"http://127.0.0.1:9222\"");
  const auto written = nlohmann::json::parse(read_file(before.config_path));
  CHECK(written == nlohmann::json::parse(R"({
    "gateway": {"port": 18789},
    "canvasHost": {"port": 18950},
    "browser": {"controlPort": 19103, "cdpPortRangeStart": 21000,
                "profiles": {"work": {"cdpPort": 21005}, "chrome": {"cdpUrl": "http://127.0.0.1:9222"}}}
  })"));
  // Read back by the loader: no contradiction, no warning, the same ports.
  const Profile after = clean_manifest(fx.load(yaml)).profiles.at(0);
  CHECK(after.ports.gateway == before.ports.gateway);
  CHECK(after.ports.browser_control == before.ports.browser_control);
  CHECK(after.ports.canvas == before.ports.canvas);
  CHECK(after.ports.cdp_start == before.ports.cdp_start);
  CHECK(after.ports.cdp_end == before.ports.cdp_end);
  CHECK(after.ports.uses.size() == before.ports.uses.size());
  CHECK(after.pinned_ports == before.pinned_ports);

  SECTION("a CDP range narrower than the gateway's 100 ports is not written, and reads back valid") {
    const std::string narrow = "version: 1\nprofiles:\n  other:\n    port: 19001\n    browser: {cdp_port_range: [19006, 19006]}\n";
    const Profile first = clean_manifest(fx.load(narrow)).profiles.at(0);
    REQUIRE(seed_gateway_config(first).created);
    CHECK(read_file(first.config_path).find("cdpPortRangeStart") == std::string::npos);
    const Profile again = clean_manifest(fx.load(narrow)).profiles.at(0);
    CHECK(again.ports.cdp_start == 19006);
    CHECK(again.ports.cdp_end == 19006);
  }

  SECTION("only what is pinned: a derived port is left for the gateway to derive") {
    const Profile plain = clean_manifest(fx.load("version: 1\nprofiles:\n  other: {port: 19001}\n")).profiles.at(0);
    CHECK(gateway_config_seed_text(plain) == "{\n  \"gateway\": {\n    \"port\": 19001\n  }\n}\n");
  }
}

TEST_CASE("seed: an existing file, or a symlink to one, is never touched", "[seed]") {
  TempDir dir;
  const fs::path own = dir.write("own.json", "{\"mine\": true}\n");
  fs::permissions(own, fs::perms(0644));
  CHECK_FALSE(seed_gateway_config(profile_at(own)).created);
  CHECK(read_file(own) == "{\"mine\": true}\n");
  CHECK(mode_of(own) == 0644);

  const fs::path link = dir.path() / "link.json";
  fs::create_symlink(own, link);
  const ConfigSeed through_link = seed_gateway_config(profile_at(link));
  CHECK_FALSE(through_link.error);
  CHECK_FALSE(through_link.created);
  CHECK(read_file(own) == "{\"mine\": true}\n");
  CHECK(fs::is_symlink(link));
}

TEST_CASE("seed: a symlink planted at the path is not followed", "[seed]") {
  TempDir dir;
  fs::create_directory(dir.path() / "state");
  const fs::path path = dir.path() / "state/openclaw.json";
  const fs::path target = dir.path() / "elsewhere.json";
  fs::create_symlink(target, path);
  const ConfigSeed seed = seed_gateway_config(profile_at(path));
  CHECK_FALSE(seed.created);
  CHECK(seed.error == path.string() +
                          " is a symlink to a missing file; not following it (remove it, or make it point at the "
                          "gateway config file)");
  CHECK_FALSE(fs::exists(target));
  CHECK(fs::is_symlink(path));
  check_only(path.parent_path(), {"openclaw.json"});
}

TEST_CASE("seed: failures name the path and leave nothing behind", "[seed]") {
  TempDir dir;
  SECTION("a file where a folder should be") {
    dir.write("state", "not a folder");
    const ConfigSeed seed = seed_gateway_config(profile_at(dir.path() / "state/openclaw.json"));
    CHECK_FALSE(seed.created);
    CHECK(seed.error == "cannot look for " + (dir.path() / "state/openclaw.json").string() + ": Not a directory");
  }
  SECTION("a folder where no file can be created") {
    // chmod stops everyone but root; sysfs stops root.
    fs::path folder = dir.path() / "locked";
    if (::geteuid() == 0) {
      folder = "/sys/kernel";
      if (!fs::is_directory(folder)) {
        WARN("skipped: running as root without sysfs");
        return;
      }
    } else {
      fs::create_directory(folder);
      fs::permissions(folder, fs::perms(0500));
    }
    const ConfigSeed seed = seed_gateway_config(profile_at(folder / "openclaw-seed-test.json"));
    CHECK_FALSE(seed.created);
    CHECK(seed.error == "cannot create a file in " + folder.string() + ": Permission denied");
    CHECK_FALSE(fs::exists(folder / "openclaw-seed-test.json"));
  }
  SECTION("a write that fails") {
    fs::create_directory(dir.path() / "state");
    const fs::path path = dir.path() / "state/openclaw.json";
    ConfigSeed seed;
    {
      FileSizeLimit limit(4);
      seed = seed_gateway_config(profile_at(path));
    }
    CHECK_FALSE(seed.created);
    REQUIRE(seed.error);
    CHECK(seed.error->starts_with("cannot write " + (dir.path() / "state/.openclaw.json.seed-").string()));
    CHECK(seed.error->ends_with(": File too large"));
    check_only(dir.path() / "state", {});
  }
}
