// Log hygiene against the real daemon: no terminal escapes in log files, and no secret (env_file
// values, secret-named env, --token on the command line) in log files, `logs`, `logs -f`,
// `events`, `status` or the supervisor's own log; bytes that are not UTF-8 written as U+FFFD
// wherever JSON is written.
#include <catch2/catch.hpp>
#include <filesystem>

#include "control_fixture.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/process_name.h"
#include "moltbot/test/run_process.h"
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
  const auto env_file = secrets_dir.write_private(
      "gateway.env", std::string("GATEWAY_AUTH=") + file_secret + "\nSHORT_CODE=" + short_value + "\n");
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

TEST_CASE("bytes that are not UTF-8 reach every reply, event, stream and the status file as U+FFFD") {
  const std::string fffd = "\xEF\xBF\xBD";
  // Text from outside, \xff each: a gateway's output (main, all the time; doomed, its last words
  // before exit 78), a CLI's stderr (cli's capabilities probe), a process name (the holder of
  // squatted's gateway port, this test process renamed).
  const std::string ticker =
      "i=0; while [ $i -lt 200 ]; do printf 'tick %s \\377 end\\n' $i; i=$((i+1)); sleep 0.1; done & "
      "exec " MOLTBOT_GATEWAY_BIN " --profile main --port \"$0\"";
  const std::map<std::string, std::string> main_settings{
      {"command", json::array({"/bin/sh", "-c", ticker, "{port}"}).dump()}, {"cli", "[]"}};
  const std::map<std::string, std::string> doomed_settings{
      {"command", json::array({"/bin/sh", "-c", "printf 'doomed \\377 last words\\n'; exit 78"}).dump()},
      {"cli", "[]"}};
  const std::map<std::string, std::string> cli_settings{
      {"cli", json::array({"/bin/sh", "-c", "printf 'cli \\377 broken\\n' >&2; exit 1", "sh"}).dump()}};
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, main_settings)},
                                   {"doomed", main_profile({}, doomed_settings)},
                                   {"cli", main_profile({}, cli_settings)},
                                   {"squatted", main_profile()}});
  ScopedProcessName name("squat\xff");
  ListeningSocket squatter(fleet.ports["squatted"]);
  const std::string holder = "held by pid " + std::to_string(::getpid()) + " (squat";

  auto& supervisor = fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(fleet.running_pid("cli") > 0);
  REQUIRE(fleet.wait_state("doomed", "fatal"));
  REQUIRE(wait_control_socket(fleet));
  auto follow = start_ctl(fleet, "follow", {"logs", "main", "-n", "0", "-f"});
  auto events = start_ctl(fleet, "events", {"--json", "events"});

  // logs -f, events: the next tick line; squatted's next retry, which names the holder again.
  CHECK(wait_until([&] { return follow->out().find(" " + fffd + " end\n") != std::string::npos; }, 10s));
  CHECK(wait_until([&] { return events->out().find(holder + fffd + ")") != std::string::npos; }, 10s));
  for (const auto& line : std::vector<std::string>{follow->out(), events->out()})
    CHECK(line.find('\xff') == std::string::npos);

  const auto logs = supervisorctl(fleet, {"logs", "main"});
  CHECK(logs.exit_code == 0);
  CHECK_THAT(logs.out, Contains(" " + fffd + " end"));
  const auto json_logs = supervisorctl(fleet, {"--json", "logs", "doomed"});
  CHECK(json_logs.exit_code == 0);
  CHECK_THAT(json_logs.out, Contains("doomed " + fffd + " last words"));

  // status --json and the status file: the same fields, as JSON that parses.
  auto check_statuses = [&](const std::string& where, const json& all) {
    INFO(where);
    REQUIRE(all.is_array());
    for (const auto& entry : all) {
      if (entry["name"] == "doomed") {
        const auto lines = entry["last_lines"].get<std::vector<std::string>>();
        CHECK(std::find(lines.begin(), lines.end(), "doomed " + fffd + " last words") != lines.end());
      }
      if (entry["name"] == "squatted") CHECK_THAT(entry["reason"].get<std::string>(), Contains(holder + fffd + ")"));
      if (entry["name"] == "cli")
        CHECK(entry["restart_mode_detail"] == "capabilities probe: exit status 1: cli " + fffd + " broken");
    }
  };
  const auto status = supervisorctl(fleet, {"--json", "status"});
  CHECK(status.exit_code == 0);
  check_statuses("status --json", ctl_json(status));
  check_statuses("status file", json::parse(read_file(fleet.dir.path() / "status-1.json"), nullptr, false));
  const auto human = supervisorctl(fleet, {"status", "squatted"});
  CHECK(human.exit_code == 3);  // not running
  CHECK_THAT(human.out, Contains("squatted"));

  // doctor reads the same /proc names for its port check.
  ProcessRun doctor;
  doctor.argv = {MOLTBOT_SUPERVISORD_BIN, "doctor", "--json", fleet.manifest.string()};
  doctor.env = {{"HOME", fleet.dir.path().string()}, {"PATH", "/usr/bin:/bin"}};
  for (const char* variable : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* value = std::getenv(variable)) doctor.env[variable] = value;
  const auto checked = run_process(doctor);
  CHECK_FALSE(json::parse(checked.out, nullptr, false).is_discarded());
  CHECK_THAT(checked.out, Contains("(squat" + fffd + ")"));

  // The log files keep the bytes as written: they are text, not JSON.
  CHECK_THAT(fleet.profile_log("main"), Contains(" \xff end\n"));
  CHECK(follow->running());
  CHECK(events->running());
  CHECK(supervisor.running());
}

TEST_CASE("logs shows a gateway's control characters as escapes on a terminal, as they came in a pipe or with --raw") {
  // What is left after the supervisor strips escape sequences: a carriage return forging a
  // supervisor line over the real one, a bell, a backspace, the C1 form of ESC [ (U+009B, which
  // some terminals obey) clearing the screen.
  const std::string hostile = "real line\r[supervisor] profile main: all good\a\b \xc2\x9b" "2J";
  const std::string script =
      "printf 'real line\\r[supervisor] profile main: all good\\a\\b \\302\\2332J\\n'; exec " MOLTBOT_GATEWAY_BIN
      " --profile \"$1\" --port \"$2\"";
  const auto command = json::array({"/bin/sh", "-c", script, "sh", "{profile}", "{port}"}).dump();
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"command", command}})}});
  fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(wait_control_socket(fleet));

  const auto terminal = supervisorctl_on_terminal(fleet, {"logs", "main", "-n", "200"});
  REQUIRE(terminal.exit_code == 0);
  INFO(terminal.out);
  CHECK_THAT(terminal.out, Contains("real line\\r[supervisor] profile main: all good\\x07\\x08 \\u009b2J\n"));
  for (const char control : {'\r', '\a', '\b', '\x1b'}) CHECK(terminal.out.find(control) == std::string::npos);
  CHECK(terminal.out.find("\xc2\x9b") == std::string::npos);

  const auto raw = supervisorctl_on_terminal(fleet, {"logs", "main", "-n", "200", "--raw"});
  REQUIRE(raw.exit_code == 0);
  CHECK_THAT(raw.out, Contains(hostile + "\n"));
  const auto piped = supervisorctl(fleet, {"logs", "main", "-n", "200"});
  REQUIRE(piped.exit_code == 0);
  CHECK_THAT(piped.out, Contains(hostile + "\n"));
}
