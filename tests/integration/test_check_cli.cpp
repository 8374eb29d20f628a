// `moltbot-supervisord check` run as a process: exit statuses 0/1/2, output on stdout, and no
// crash or hang on files that are not manifests at all.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "moltbot/test/run_process.h"
#include "moltbot/test/temp_dir.h"

using moltbot::test::ProcessResult;
using moltbot::test::TempDir;

namespace {

const char* valid_fleet = R"(version: 1
profiles:
  main:
    port: 18789
    state_dir: ~/.clawdbot-main
    config_path: ~/.clawdbot/main.json
  rescue:
    role: rescue
    port: 19001
)";

const char* overlapping_fleet = R"(version: 1
profiles:
  main:
    port: 18789
  rescue:
    role: rescue
    port: 18809
)";

enum class As { unprivileged, root };

// Runs the real binary in `dir` with HOME inside it and nothing else inherited but the
// sanitizer settings of the test run. Run as root, it runs as nobody on files it owns unless told
// otherwise: a root check adds a runs-as-root warning per profile (test_supervisor_users.cpp),
// and these cases must not depend on who runs them.
ProcessResult check(const TempDir& dir, std::vector<std::string> args, As as = As::unprivileged) {
  moltbot::test::ProcessRun run;
  if (::geteuid() == 0 && as == As::unprivileged) {
    std::error_code ignored;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path(), ignored))
      ::lchown(entry.path().c_str(), 65534, 65534);
    REQUIRE(::chown(dir.path().c_str(), 65534, 65534) == 0);
    run.argv = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"};
  }
  run.argv.push_back(MOLTBOT_SUPERVISORD_BIN);
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  run.env = {{"HOME", (dir.path() / "home").string()}, {"PATH", "/usr/bin:/bin"}};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS"})
    if (const char* value = std::getenv(name)) run.env[name] = value;
  run.cwd = dir.path().string();
  auto result = moltbot::test::run_process(run);
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  REQUIRE_FALSE(result.timed_out);
  REQUIRE(result.signal == 0);
  return result;
}

// A file is only a file error (exit 2) when check says so in one line naming it.
void require_file_error(const ProcessResult& result, const std::string& name) {
  INFO("stdout: " << result.out << "\nstderr: " << result.err);
  CHECK(result.exit_code == 2);
  CHECK(result.out.starts_with(name + ": error: "));
  CHECK(std::count(result.out.begin(), result.out.end(), '\n') == 1);
}

}  // namespace

TEST_CASE("check: a valid manifest exits 0 with a one-line verdict", "[cli][check]") {
  TempDir dir;
  dir.write("fleet.yaml", valid_fleet);
  auto result = check(dir, {"check", "fleet.yaml"});
  CHECK(result.exit_code == 0);
  CHECK(result.out == "fleet.yaml: 2 profiles, no conflicts\n");
  CHECK(result.err.empty());
}

TEST_CASE("check: conflicts exit 1, every one on stdout, with a count", "[cli][check]") {
  TempDir dir;
  dir.write("fleet.yaml", overlapping_fleet);
  auto result = check(dir, {"check", "fleet.yaml"});
  CHECK(result.exit_code == 1);
  CHECK(result.out.starts_with(
      "fleet.yaml:7:11: error[port-overlap]: profile \"rescue\": gateway port 18809 lies in the CDP range "
      "18800..18899 of profile \"main\"\n"
      "fleet.yaml:4:11: note: profile \"main\" is defined here\n"
      "fleet.yaml:5:3: note: profile \"rescue\" is a rescue profile: it must share nothing with other profiles\n"));
  CHECK(result.out.ends_with("\n6 errors\n"));
}

TEST_CASE("check: warnings and notes leave a manifest valid (exit 0)", "[cli][check]") {
  TempDir dir;
  // main's old state is in the clawdbot layout's dir (a note); rescue's config file has no
  // gateway.port (a warning, with the command that adds it).
  std::filesystem::create_directories(dir.path() / "home/.clawdbot-main");
  dir.write("home/.openclaw-rescue/openclaw.json", "{}\n");
  dir.write("fleet.yaml", "version: 1\ndefaults:\n  command: [openclaw, gateway]\nprofiles:\n"
                          "  main: {port: 18789}\n  rescue: {port: 19001, role: rescue}\n");
  auto result = check(dir, {"check", "fleet.yaml"});
  CHECK(result.exit_code == 0);
  CHECK(result.out ==
        "fleet.yaml:5:3: note[other-layout-state]: profile \"main\": found existing state in " +
            (dir.path() / "home/.clawdbot-main").string() +
            "; set layout: clawdbot to keep using it (layout openclaw starts a new, empty state in " +
            (dir.path() / "home/.openclaw-main").string() +
            ")\n"
            "fleet.yaml:6:18: warning[config-port-missing]: profile \"rescue\": gateway config file " +
            (dir.path() / "home/.openclaw-rescue/openclaw.json").string() +
            " has no gateway.port, so the gateway's own CLI looks for the gateway on another port than 19001; run "
            "openclaw --profile rescue config set gateway.port 19001 --strict-json\n"
            "0 errors, 1 warning\n");
  // The run mode checks the same way: the file is not written by `check`.
  CHECK(moltbot::test::read_file(dir.path() / "home/.openclaw-rescue/openclaw.json") == "{}\n");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "home/.openclaw-main"));

  auto json = check(dir, {"check", "--json", "fleet.yaml"});
  CHECK(json.exit_code == 0);
  auto diagnostics = nlohmann::json::parse(json.out);
  REQUIRE(diagnostics.size() == 2);
  CHECK(diagnostics[0]["severity"] == "note");
  CHECK(diagnostics[1]["severity"] == "warning");
}

TEST_CASE("check --json prints a JSON array of diagnostics", "[cli][check]") {
  TempDir dir;
  dir.write("fleet.yaml", overlapping_fleet);
  auto result = check(dir, {"check", "--json", "fleet.yaml"});
  CHECK(result.exit_code == 1);
  auto json = nlohmann::json::parse(result.out);
  REQUIRE(json.is_array());
  REQUIRE(json.size() == 6);
  for (const auto& d : json) {
    for (const char* key : {"severity", "code", "message", "file", "line", "column", "profile", "related"})
      CHECK(d.contains(key));
    CHECK(d["profile"] == "rescue");
  }

  dir.write("valid.yaml", valid_fleet);
  auto valid = check(dir, {"check", "--json", "valid.yaml"});
  CHECK(valid.exit_code == 0);
  CHECK(nlohmann::json::parse(valid.out) == nlohmann::json::array());
}

TEST_CASE("check --ports prints every profile's port map", "[cli][check]") {
  TempDir dir;
  dir.write("fleet.yaml", valid_fleet);
  auto table = check(dir, {"check", "--ports", "fleet.yaml"});
  CHECK(table.exit_code == 0);
  CHECK(table.out.starts_with("PROFILE  ROLE    GATEWAY  BRIDGE  CONTROL  RELAY  CANVAS  CDP RANGE     PINNED\n"
                              "main     main    18789    18790   18791    18792  18793   18800..18899  -\n"
                              "rescue   rescue  19001    19002   19003    19004  19005   19012..19111  -\n"));
  CHECK(table.out.ends_with("fleet.yaml: 2 profiles, no conflicts\n"));

  auto json = check(dir, {"check", "--ports", "--json", "fleet.yaml"});
  CHECK(json.exit_code == 0);
  auto document = nlohmann::json::parse(json.out);
  CHECK(document["diagnostics"] == nlohmann::json::array());
  REQUIRE(document["profiles"].size() == 2);
  CHECK(document["profiles"][1]["name"] == "rescue");
  CHECK(document["profiles"][1]["role"] == "rescue");
  CHECK(document["profiles"][1]["ports"]["cdp_start"] == 19012);
  CHECK(document["profiles"][0]["config_path"] == (dir.path() / "home/.clawdbot/main.json").string());
}

TEST_CASE("check: files that are not manifests exit 2 with one line naming the file", "[cli][check]") {
  TempDir dir;
  SECTION("missing") { require_file_error(check(dir, {"check", "missing.yaml"}), "missing.yaml"); }
  SECTION("a directory") {
    std::filesystem::create_directory(dir.path() / "folder.yaml");
    require_file_error(check(dir, {"check", "folder.yaml"}), "folder.yaml");
  }
  SECTION("empty") {
    dir.write("empty.yaml", "");
    require_file_error(check(dir, {"check", "empty.yaml"}), "empty.yaml");
  }
  SECTION("binary garbage") {
    std::mt19937 rng(42);
    std::string garbage(4096, '\0');
    for (char& c : garbage) c = static_cast<char>(rng() & 0xff);
    dir.write("garbage.yaml", garbage);
    require_file_error(check(dir, {"check", "garbage.yaml"}), "garbage.yaml");
  }
  SECTION("50 MB, sparse") {
    const auto path = dir.write("huge.yaml", "");
    std::filesystem::resize_file(path, 50u * 1024 * 1024);
    require_file_error(check(dir, {"check", "huge.yaml"}), "huge.yaml");
  }
  SECTION("50 MB of text") {
    std::string line = "# a comment line that goes on and on\n";
    std::string text;
    while (text.size() < 50u * 1024 * 1024) text += line;
    dir.write("huge-text.yaml", text);
    require_file_error(check(dir, {"check", "huge-text.yaml"}), "huge-text.yaml");
  }
  SECTION("a FIFO with no writer") {
    REQUIRE(mkfifo((dir.path() / "fifo.yaml").c_str(), 0600) == 0);
    require_file_error(check(dir, {"check", "fifo.yaml"}), "fifo.yaml");
  }
  SECTION("a device") { require_file_error(check(dir, {"check", "/dev/zero"}), "/dev/zero"); }
  SECTION("unreadable") {
    const auto path = dir.write("secret.yaml", valid_fleet);
    std::filesystem::permissions(path, std::filesystem::perms::none);
    if (geteuid() == 0) SUCCEED("root reads any file: nothing to test");
    else require_file_error(check(dir, {"check", "secret.yaml"}), "secret.yaml");
  }
}

TEST_CASE("check: --json reports a file error as a diagnostic too", "[cli][check]") {
  TempDir dir;
  auto result = check(dir, {"check", "--json", "missing.yaml"});
  CHECK(result.exit_code == 2);
  auto json = nlohmann::json::parse(result.out);
  REQUIRE(json.size() == 1);
  CHECK(json[0]["severity"] == "error");
  CHECK(json[0]["file"] == "missing.yaml");
  CHECK(json[0]["line"] == 0);
}

TEST_CASE("help is printed and exits 0", "[cli]") {
  TempDir dir;
  auto top = check(dir, {"--help"});
  CHECK(top.exit_code == 0);
  CHECK(top.out.find("check") != std::string::npos);
  CHECK(top.out.find("--manifest") != std::string::npos);

  auto sub = check(dir, {"check", "--help"});
  CHECK(sub.exit_code == 0);
  for (const char* text : {"--json", "--ports", "MANIFEST", "Exit status: 0 valid, 1 invalid, 2 usage error"})
    CHECK(sub.out.find(text) != std::string::npos);
}

TEST_CASE("usage errors exit 2 and say what is wrong on stderr", "[cli]") {
  TempDir dir;
  dir.write("fleet.yaml", valid_fleet);
  const std::vector<std::vector<std::string>> bad = {
      {"check", "--bogus", "fleet.yaml"},
      {"check"},
      {"check", "fleet.yaml", "other.yaml"},
      {"frobnicate"},
      {"check", "--json=maybe", "fleet.yaml"},
  };
  for (const auto& args : bad) {
    auto result = check(dir, args);
    INFO("args: " << nlohmann::json(args).dump());
    CHECK(result.exit_code == 2);
    CHECK(result.out.empty());
    CHECK_FALSE(result.err.empty());
  }
}

TEST_CASE("check: a manifest nested 4 MiB deep is refused without building it", "[cli][check]") {
  TempDir dir;
  const std::string head = "version: 1\nprofiles:\n  main:\n    port: 18789\n    env: ";
  dir.write("fleet.yaml", head + std::string(4 * 1024 * 1024 - head.size() - 1, '[') + "\n");
  auto result = check(dir, {"check", "fleet.yaml"});
  CHECK(result.exit_code == 1);
  CHECK(result.out.starts_with("fleet.yaml:5:110: error[yaml-syntax]: the YAML is nested too deeply: flow "
                               "collections ([ ] and { }) may nest at most 100 deep\n"));
  // yaml-cpp alone queued every bracket first: 980 MB. The peak of every child of this test so
  // far (a plain build needs 9 MB; the ASan build 228 MB once `check` ran through setpriv as
  // nobody, with the account lookups that loads).
  rusage children{};
  REQUIRE(getrusage(RUSAGE_CHILDREN, &children) == 0);
  CHECK(children.ru_maxrss < 400 * 1024);
}

TEST_CASE("check: an env_file others may read is refused for root and a warning for other users", "[cli][check]") {
  TempDir dir;
  dir.write("fleet.yaml", "version: 1\nprofiles:\n  main: {port: 18789, env_file: main.env}\n");
  const auto env_file = dir.write("main.env", "GATEWAY_TOKEN=secret-value-123\n");
  REQUIRE(::chmod(env_file.c_str(), 0644) == 0);
  const auto problem = [&](const std::string& severity, uid_t owner) {
    return "fleet.yaml:3:33: " + severity + "[env-file-permissions]: profile \"main\": field \"env_file\": " +
           env_file.string() + " is readable by group and others (mode 0644, owner uid " + std::to_string(owner) +
           "); it holds the gateway's secrets and environment: chmod 600 " + env_file.string();
  };
  if (::geteuid() == 0) {
    auto refused = check(dir, {"check", "fleet.yaml"}, As::root);
    CHECK(refused.exit_code == 1);
    CHECK(refused.out == problem("error", 0) +
                             " (refused because the supervisor runs as root)\n"
                             "fleet.yaml:3:3: warning[runs-as-root]: profile \"main\": the gateway would run as root "
                             "(the supervisor runs as root and the profile sets no user); a compromised gateway would "
                             "own the host, the other profiles and the supervisor: set `user` (the .deb creates the "
                             "system user \"moltbot\")\n1 error, 1 warning\n");
  }
  // Checked by a user that is not root (as nobody, on files it owns, when the test runs as root):
  // a warning, and the manifest is valid.
  auto warned = check(dir, {"check", "fleet.yaml"});
  CHECK(warned.exit_code == 0);
  CHECK(warned.out == problem("warning", ::geteuid() == 0 ? 65534 : ::geteuid()) + "\n0 errors, 1 warning\n");
}

TEST_CASE("check: an env_file value too long for execve is an error naming file, line and field", "[cli][check]") {
  TempDir dir;
  dir.write("fleet.yaml", "version: 1\nprofiles:\n  main:\n    port: 18789\n    env_file: main.env\n");
  const auto env_file =
      dir.write_private("main.env", "# secrets\nGATEWAY_TOKEN=" + std::string(200 * 1000, 'x') + "\n");
  auto result = check(dir, {"check", "fleet.yaml"});
  CHECK(result.exit_code == 1);
  CHECK(result.out == "fleet.yaml:5:15: error[exec-too-large]: profile \"main\": field \"env_file\": " +
                          env_file.string() +
                          ":2: GATEWAY_TOKEN is 200015 bytes; the kernel takes at most 131072 per string "
                          "(MAX_ARG_STRLEN), so every start would fail with E2BIG\n1 error\n");
}

TEST_CASE("check: folders other users may write or own are errors naming file, line, field, owner and mode",
          "[cli][check]") {
  TempDir dir;
  dir.write("fleet.yaml", "version: 1\nsupervisor:\n  log_dir: ./open/log\nprofiles:\n"
                          "  main: {port: 18789, state_dir: ./theirs, workspace: ./ws}\n");
  std::filesystem::create_directories(dir.path() / "open");
  REQUIRE(::chmod((dir.path() / "open").c_str(), 0777) == 0);
  std::filesystem::create_directories(dir.path() / "theirs");
  REQUIRE(::chown((dir.path() / "theirs").c_str(), 65534, 65534) == 0);
  REQUIRE(::chmod((dir.path() / "theirs").c_str(), 0700) == 0);
  // As the supervisor would run it (root, in CI): nobody's folder is another user's.
  auto result = check(dir, {"check", "fleet.yaml"}, As::root);
  CHECK(result.exit_code == 1);
  CHECK(result.out == "fleet.yaml:3:12: error[untrusted-dir]: field \"supervisor.log_dir\": " +
                          (dir.path() / "open").string() + " (owner uid 0, group gid 0, mode 0777) is writable by "
                          "others; a parent of a folder the supervisor writes into must not be writable by other "
                          "users unless it has the sticky bit (like /tmp); the supervisor refuses to use it\n"
                          "fleet.yaml:5:34: error[untrusted-dir]: profile \"main\": field \"state_dir\": " +
                          (dir.path() / "theirs").string() + " (owner uid 65534, group gid 65534, mode 0700) is owned "
                          "by another user; a folder the supervisor writes into, and each of its parents, must be "
                          "owned by root or the supervisor's uid; the supervisor refuses to use it\n"
                          "fleet.yaml:5:3: warning[runs-as-root]: profile \"main\": the gateway would run as root (the "
                          "supervisor runs as root and the profile sets no user); a compromised gateway would own the "
                          "host, the other profiles and the supervisor: set `user` (the .deb creates the system user "
                          "\"moltbot\")\n2 errors, 1 warning\n");
}
