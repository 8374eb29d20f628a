// Log hygiene against the real daemon: no terminal escapes in log files, and no secret (env_file
// values, secret-named env, --token on the command line) in log files, `logs`, `logs -f`,
// `events`, `status` or the supervisor's own log.
#include <catch2/catch.hpp>
#include <filesystem>

#include "control_fixture.h"
#include "moltbot/test/temp_dir.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Catch::Contains;

namespace {

constexpr const char* file_secret = "envfile-secret-93ab1f";   // in env_file, any name
constexpr const char* env_secret = "apikey-7c2d4e5f";          // the manifest's env, API_KEY
constexpr const char* argv_secret = "cmdline-token-5e3f91";    // after --token on the command line
constexpr const char* short_value = "zq9x";                    // in env_file, too short to hide
const std::vector<std::string> secrets{file_secret, env_secret, argv_secret};

// A shell wrapper as operators put around a gateway: it prints a coloured banner and, carelessly,
// every secret it was given (one of them coloured), then runs `then`. Its own arguments carry a
// `--token`, where the bundled gateway, which takes none, is not bothered by it.
std::string wrapper_command(const std::string& then) {
  const std::string script =
      "printf '\\033[1;32mwrapper: starting\\033[0m\\n'; "
      "echo \"env_file secret: $GATEWAY_AUTH\"; "
      "printf 'coloured key: \\033[31m%s\\033[0m\\n' \"$API_KEY\"; "
      "echo \"argv token: $2\"; "
      "echo \"short code: $SHORT_CODE\"; " +
      then;
  return json::array({"/bin/sh", "-c", script, "sh", "--token", argv_secret}).dump();  // JSON is YAML
}

std::map<std::string, std::string> secret_settings(const std::filesystem::path& env_file, std::string command) {
  return {{"command", std::move(command)},
          {"env_file", env_file.string()},
          {"env", std::string("{API_KEY: ") + env_secret + "}"}};
}

void check_clean(const std::string& where, const std::string& text) {
  INFO(where << ":\n" << text);
  for (const auto& secret : secrets) CHECK(text.find(secret) == std::string::npos);
}

}  // namespace

TEST_CASE("no escape sequences in log files, and secrets redacted wherever the supervisor writes") {
  TempDir secrets_dir("moltbot-secrets");
  const auto env_file =
      secrets_dir.write("gateway.env", std::string("GATEWAY_AUTH=") + file_secret + "\nSHORT_CODE=" + short_value + "\n");
  auto main_settings =
      secret_settings(env_file, wrapper_command("exec " MOLTBOT_GATEWAY_BIN " --profile {profile} --port {port}"));
  // 78 is in no_restart_exit_codes: fatal at once, with its last lines kept in status.
  auto doomed_settings = secret_settings(env_file, wrapper_command("exit 78"));
  // A secret can reach a reason through any text the runner quotes: here the program that cannot
  // be executed, in the reason, last_exit, every event and the supervisor's log.
  auto broken_settings = secret_settings(
      env_file, json::array({(secrets_dir.path() / (std::string("no-such-") + env_secret) / "gateway").string()}).dump());
  broken_settings["restart"] =
      "{policy: always, backoff: {initial: 100ms, max: 100ms, factor: 2}, reset_after: 30s, max_restarts: 1, window: 1m}";

  SupervisorFixture fleet(Profiles{{"main", main_profile({}, main_settings)},
                                   {"doomed", main_profile({}, doomed_settings)},
                                   {"broken", main_profile({}, broken_settings)}});
  auto& supervisor = fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(fleet.wait_state("doomed", "fatal"));
  REQUIRE(fleet.wait_state("broken", "fatal"));
  REQUIRE(wait_control_socket(fleet));

  // Followers see what comes next: main's restart, broken failing again after its reset.
  auto events = start_ctl(fleet, "events", {"--json", "events"});
  auto follow = start_ctl(fleet, "follow", {"logs", "main", "-n", "1", "-f"});
  REQUIRE(wait_until([&] { return events->out().find("{\"streaming\":\"events\"}") != std::string::npos; }, 10s));
  REQUIRE(wait_until([&] { return !follow->out().empty(); }, 10s));
  REQUIRE(supervisorctl(fleet, {"restart", "main", "--wait"}).exit_code == 0);
  REQUIRE(supervisorctl(fleet, {"reset", "broken"}).exit_code == 0);
  CHECK(wait_until([&] { return follow->out().find("argv token: <redacted>") != std::string::npos; }, 10s));
  CHECK(wait_until([&] { return events->out().find("no-such-<redacted>") != std::string::npos; }, 10s));
  REQUIRE(fleet.wait_state("broken", "fatal"));

  SECTION("the profile log files: secrets redacted, colours gone, the rest readable") {
    const auto main_log = fleet.profile_log("main");
    check_clean("main.log", main_log);
    CHECK(main_log.find('\x1b') == std::string::npos);
    CHECK_THAT(main_log, Contains(" wrapper: starting\n") && Contains(" env_file secret: <redacted>\n") &&
                             Contains(" coloured key: <redacted>\n") && Contains(" argv token: <redacted>\n") &&
                             Contains(std::string(" short code: ") + short_value + "\n") &&
                             Contains("[supervisor] exec /bin/sh -c ") && Contains(" sh --token <redacted> (pid "));
    for (const char* profile : {"doomed", "broken"}) {
      const auto log = fleet.profile_log(profile);
      check_clean(std::string(profile) + ".log", log);
      CHECK(log.find('\x1b') == std::string::npos);
    }
    CHECK_THAT(fleet.profile_log("broken"), Contains("no-such-<redacted>"));
  }
  SECTION("logs, logs -f and events") {
    const auto logs = supervisorctl(fleet, {"logs", "main", "-n", "200"});
    REQUIRE(logs.exit_code == 0);
    check_clean("logs main", logs.out);
    CHECK(logs.out.find('\x1b') == std::string::npos);
    CHECK_THAT(logs.out, Contains("coloured key: <redacted>") && Contains(std::string("short code: ") + short_value));
    const auto json_logs = supervisorctl(fleet, {"--json", "logs", "doomed", "-n", "200"});
    check_clean("logs doomed --json", json_logs.out);
    CHECK_THAT(json_logs.out, Contains("env_file secret: <redacted>"));

    check_clean("logs -f", follow->out());
    CHECK_THAT(follow->out(), Contains("sh --token <redacted>") && Contains("coloured key: <redacted>"));
    check_clean("events", events->out());
  }
  SECTION("status: reasons, last_exit and last_lines") {
    const auto status = supervisorctl(fleet, {"--json", "status"});
    REQUIRE(status.exit_code == 0);
    check_clean("status --json", status.out);
    auto all = ctl_json(status);
    for (const auto& entry : all) {
      if (entry["name"] == "broken") {
        CHECK_THAT(entry["reason"].get<std::string>(), Contains("no-such-<redacted>"));
        CHECK_THAT(entry["last_exit"]["reason"].get<std::string>(), Contains("no-such-<redacted>"));
      }
      if (entry["name"] == "doomed") {
        auto lines = entry["last_lines"].get<std::vector<std::string>>();  // the supervisor's notes first
        REQUIRE(lines.size() >= 5);
        CHECK(std::vector(lines.end() - 5, lines.end()) ==
              std::vector<std::string>{"wrapper: starting", "env_file secret: <redacted>", "coloured key: <redacted>",
                                       "argv token: <redacted>", std::string("short code: ") + short_value});
      }
    }
    const auto one = supervisorctl(fleet, {"--json", "status", "broken"});
    check_clean("status --json broken", one.out);
    CHECK_THAT(one.out, Contains("no-such-<redacted>"));
    check_clean("status", supervisorctl(fleet, {"status"}).out);
    check_clean("status file", read_file(fleet.dir.path() / "status-1.json"));
  }
  SECTION("the supervisor's own log") {
    const auto own_log = supervisor.err();
    check_clean("supervisor stderr", own_log);
    CHECK_THAT(own_log, Contains("profile broken: ") && Contains("no-such-<redacted>"));
  }
}
