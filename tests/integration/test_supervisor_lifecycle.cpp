// moltbot-supervisord's run mode end to end: start, stop, refusal, locks, supervisor death, the
// gateway config file created before a start.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/wait_until.h"
#include "supervisor_fixture.h"

using namespace moltbot::test;
using namespace std::chrono_literals;

namespace {
const Profiles main_and_rescue{{"main", main_profile()}, {"rescue", rescue_profile()}};
}  // namespace

TEST_CASE("runs main and rescue: SIGTERM stops both, frees every port and exits 0") {
  SupervisorFixture fleet(main_and_rescue);
  auto& supervisor = fleet.start_supervisor();
  pid_t main_pid = fleet.running_pid("main");
  pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(main_pid > 0);
  REQUIRE(rescue_pid > 0);
  CHECK(fleet.gateway_status("main")["pid"] == main_pid);
  CHECK(fleet.gateway_status("rescue")["pid"] == rescue_pid);
  auto status = fleet.status("rescue");
  CHECK(status["role"] == "rescue");
  CHECK(status["restarts"] == 0);
  CHECK(status["health"] == "healthy");
  CHECK(status["ports"]["gateway"] == fleet.ports["rescue"]);
  // The child's environment carries the profile under all three spellings.
  auto environ = fleet.gateway_status("main");
  CHECK(environ["profile"] == "main");

  supervisor.signal(SIGTERM);
  auto exit = supervisor.wait_for_exit(10s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  CHECK_FALSE(process_alive(main_pid));
  CHECK_FALSE(process_alive(rescue_pid));
  CHECK(listening_addresses(fleet.ports["main"]).empty());
  CHECK(listening_addresses(fleet.ports["rescue"]).empty());
  CHECK_THAT(fleet.profile_log("main"), Catch::Contains("[supervisor] stopped"));
  CHECK_THAT(supervisor.err(), Catch::Contains("every profile stopped"));
}

TEST_CASE("an invalid manifest starts nothing and exits 1 with check's diagnostics") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  // A second profile whose gateway port lies inside main's CDP range.
  std::ofstream(fleet.manifest, std::ios::app) << "  other:\n    port: " << fleet.ports["main"] + 20
                                               << "\n    state_dir: ./other/state\n    workspace: ./other/ws\n"
                                               << "    config_path: ./other/state/clawdbot.json\n";
  auto& supervisor = fleet.start_supervisor();
  auto exit = supervisor.wait_for_exit(10s);
  REQUIRE(exit);
  CHECK(exit->code == 1);
  CHECK_THAT(supervisor.err(), Catch::Contains("fleet.yaml:") && Catch::Contains("error[port-overlap]"));
  CHECK_FALSE(std::filesystem::exists(fleet.dir.path() / "logs"));
  CHECK(listening_addresses(fleet.ports["main"]).empty());
}

TEST_CASE("a missing manifest exits 2 with check's one-line file error") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  std::filesystem::remove(fleet.manifest);
  auto& supervisor = fleet.start_supervisor();
  auto exit = supervisor.wait_for_exit(10s);
  REQUIRE(exit);
  CHECK(exit->code == 2);
  CHECK(supervisor.err() == fleet.manifest.string() + ": error: no such file\n");
  CHECK_FALSE(std::filesystem::exists(fleet.dir.path() / "logs"));
}

TEST_CASE("a malformed MOLTBOT_SUPERVISOR_TEST_THROW starts nothing and exits 2 naming what is wrong") {
  SupervisorFixture fleet(main_and_rescue);
  auto& supervisor =
      fleet.start_supervisor(SupervisorLaunch{{{"MOLTBOT_SUPERVISOR_TEST_THROW", "probes,main"}}, {}, {}});
  auto exit = supervisor.wait_for_exit(10s);
  REQUIRE(exit);
  CHECK(exit->code == 2);
  CHECK(supervisor.err().find("MOLTBOT_SUPERVISOR_TEST_THROW=\"probes,main\": unknown handler kind \"probes\"") !=
        std::string::npos);
  CHECK(fleet.status("main").is_null());
}

TEST_CASE("a second supervisor on the same profiles refuses and names the holder") {
  SupervisorFixture fleet(main_and_rescue);
  auto& first = fleet.start_supervisor();
  pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);

  auto& second = fleet.start_supervisor();
  auto exit = second.wait_for_exit(10s);
  REQUIRE(exit);
  CHECK(exit->code == 3);
  CHECK_THAT(second.err(), Catch::Contains("profile \"main\" is managed elsewhere") &&
                               Catch::Contains("supervisor.lock is held by another supervisor, pid " +
                                               std::to_string(first.pid())));
  CHECK(first.running());
  CHECK(process_alive(main_pid));
  CHECK(http_get("127.0.0.1", fleet.ports["main"], "/healthz").ok());
}

TEST_CASE("SIGKILL of the supervisor takes its gateways along, and a new supervisor brings the fleet back") {
  SupervisorFixture fleet(main_and_rescue);
  auto& first = fleet.start_supervisor();
  pid_t main_pid = fleet.running_pid("main");
  pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(main_pid > 0);
  REQUIRE(rescue_pid > 0);

  first.signal(SIGKILL);
  REQUIRE(first.wait_for_exit(5s));
  CHECK(wait_until([&] { return !process_alive(main_pid) && !process_alive(rescue_pid); }, 5s));

  fleet.start_supervisor();
  pid_t new_main = fleet.running_pid("main");
  pid_t new_rescue = fleet.running_pid("rescue");
  CHECK(new_main > 0);
  CHECK(new_rescue > 0);
  CHECK(new_main != main_pid);
  CHECK(fleet.status("main")["restarts"] == 0);  // no lock or port of the old fleet was in the way
}

TEST_CASE("a child ignoring SIGTERM is SIGKILLed after stop.timeout") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("ignore_sigterm", {{"stop", "{signal: SIGTERM, timeout: 1s}"}})}});
  auto& supervisor = fleet.start_supervisor();
  pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);

  auto asked = std::chrono::steady_clock::now();
  supervisor.signal(SIGTERM);
  auto exit = supervisor.wait_for_exit(10s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  CHECK(std::chrono::steady_clock::now() - asked >= 1s);
  CHECK_FALSE(process_alive(main_pid));
  CHECK_THAT(supervisor.err(), Catch::Contains("SIGKILL sent"));
  CHECK(listening_addresses(fleet.ports["main"]).empty());
}

TEST_CASE("a missing gateway config file is created before the start: 0600, in a 0700 state dir, with the port") {
  SupervisorFixture fleet(main_and_rescue);
  // rescue's file exists already and stays as it is.
  const auto rescue_config = fleet.dir.write("rescue/state/clawdbot.json",
                                             "{\"gateway\": {\"port\": " + std::to_string(fleet.ports["rescue"]) +
                                                 "}, \"note\": \"mine\"}\n");
  fleet.start_supervisor();
  pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);
  REQUIRE(fleet.running_pid("rescue") > 0);

  const auto config = fleet.dir.path() / "main/state/clawdbot.json";
  const auto mode_of = [](const std::filesystem::path& path) {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 0777;
  };
  CHECK(mode_of(config) == 0600);
  CHECK(mode_of(fleet.dir.path() / "main/state") == 0700);
  const auto written = nlohmann::json::parse(read_file(config));
  CHECK(written == nlohmann::json{{"gateway", {{"port", fleet.ports["main"]}}}});
  // The gateway reads the same file and port.
  CHECK(fleet.gateway_status("main")["config_path"] == config.string());
  const std::string created = "[supervisor] created " + config.string() + " (mode 0600) with gateway.port " +
                              std::to_string(fleet.ports["main"]);
  CHECK_THAT(fleet.profile_log("main"), Catch::Contains(created));
  CHECK_THAT(fleet.profile_log("rescue"), !Catch::Contains("[supervisor] created"));
  CHECK(read_file(rescue_config).ends_with("\"note\": \"mine\"}\n"));

  // A restart finds the file: nothing is written again.
  ::kill(main_pid, SIGKILL);
  REQUIRE(fleet.wait_status("main", [&](const nlohmann::json& s) {
    return s["state"] == "running" && s["pid"] != main_pid;
  }));
  const std::string log = fleet.profile_log("main");
  CHECK(log.find(created) == log.rfind(created));
}
