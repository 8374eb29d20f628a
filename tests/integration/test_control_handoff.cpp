// The OpenClaw supervisor contract end to end with the real daemon, ctl and bundled gateway: the
// restart-handoff negotiation, planned restarts asked for with the gateway's own CLI through
// `supervisorctl exec`, the in-process fallback, and `running` only once /startupz says started.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "control_fixture.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Catch::Contains;

namespace {

// The gateway's own CLI for the profile, run through the supervisor: what a user types.
ProcessResult gateway_cli(const SupervisorFixture& fleet, const std::vector<std::string>& args) {
  std::vector<std::string> command{"--socket", fleet.control_socket().string(), "exec", "main", "--",
                                   "moltbot-gateway", "--profile", "{profile}"};
  command.insert(command.end(), args.begin(), args.end());
  return run_supervisorctl(command);
}

json running_fleet_status(SupervisorFixture& fleet) {
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(wait_control_socket(fleet));
  return fleet.status("main");
}

}  // namespace

TEST_CASE("a restart the gateway plans is a planned restart: new pid, no failure counted, handoff consumed") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  const json before = running_fleet_status(fleet);
  CHECK(before["restart_mode"] == "external");
  CHECK(before["restart_mode_detail"] == "restart-handoff protocol 1 (consume)");
  const pid_t old_pid = before["pid"].get<pid_t>();
  // The gateway was told it has an external supervisor, and not to restart in-process.
  const auto env = environment_of(old_pid);
  CHECK(env.contains("OPENCLAW_SUPERVISOR_MODE=external"));
  CHECK(env.contains("OPENCLAW_SERVICE_REPAIR_POLICY=external"));
  CHECK_FALSE(env.contains("OPENCLAW_NO_RESPAWN=1"));

  auto events = start_ctl(fleet, "events", {"--json", "events"});
  REQUIRE(wait_until([&] { return events->out().find("streaming") != std::string::npos; }, 10s));
  auto restart = gateway_cli(fleet, {"gateway", "restart"});
  INFO(restart.out << restart.err);
  CHECK(restart.exit_code == 0);
  CHECK_THAT(restart.out, Contains("Gateway restarted") && Contains(std::to_string(old_pid)));

  REQUIRE(fleet.wait_status("main", [&](const json& now) {
    return now["state"] == "running" && now["pid"].is_number() && now["pid"] != old_pid;
  }));
  const json after = fleet.status("main");
  CHECK(after["restarts"] == 0);
  CHECK(after["planned_restarts"] == 1);
  CHECK_THAT(after["last_exit"]["reason"].get<std::string>(), Contains("planned restart") && Contains("gateway.restart"));
  CHECK(wait_until([&] { return events->out().find("\"kind\":\"planned-restart\"") != std::string::npos; }, 10s));
  CHECK_THAT(fleet.profile_log("main"), Contains("restart handoff accepted"));
  // The handoff was consumed exactly once: nothing is left for the old pid.
  auto leftover = gateway_cli(fleet, {"gateway", "restart-handoff", "consume", "--expected-pid",
                                      std::to_string(old_pid), "--json"});
  CHECK(json::parse(leftover.out, nullptr, false)["status"] == "none");
  // The table says it too.
  CHECK_THAT(supervisorctl(fleet, {"status"}).out, Contains("0 (+1 planned)"));
}

TEST_CASE("the product's install and start commands are refused under the supervisor") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  running_fleet_status(fleet);
  auto install = gateway_cli(fleet, {"gateway", "install"});
  CHECK(install.exit_code == 1);
  CHECK_THAT(install.out + install.err, Contains("managed by an external supervisor"));
  auto status = gateway_cli(fleet, {"gateway", "status"});
  CHECK(status.exit_code == 0);
  CHECK_THAT(status.out, Contains("Connectivity probe: ok") && Contains(std::to_string(fleet.ports.at("main"))));
}

TEST_CASE("cli: [] keeps in-process restarts: the gateway restarts itself and keeps its pid") {
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"cli", "[]"}})}});
  fleet.start_supervisor();
  const json before = running_fleet_status(fleet);
  CHECK(before["restart_mode"] == "in-process");
  CHECK(before["restart_mode_detail"] == "cli: [] in the manifest");
  const pid_t pid = before["pid"].get<pid_t>();
  CHECK(environment_of(pid).contains("OPENCLAW_NO_RESPAWN=1"));

  auto restart = gateway_cli(fleet, {"gateway", "restart"});
  INFO(restart.out << restart.err);
  CHECK(restart.exit_code == 0);
  CHECK_THAT(restart.out, Contains("in-process"));
  const json after = fleet.status("main");
  CHECK(after["pid"] == pid);
  CHECK(after["restarts"] == 0);
  CHECK(after["planned_restarts"] == 0);
}

TEST_CASE("a CLI without the handoff protocol: in-process restarts, and the log and status say why") {
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"cli", "[/bin/false]"}})}});
  fleet.start_supervisor();
  const json status = running_fleet_status(fleet);
  CHECK(status["restart_mode"] == "in-process");
  CHECK(status["restart_mode_detail"] == "capabilities probe: exit status 1");
  CHECK_THAT(fleet.profile_log("main"), Contains("restart mode: in-process (OPENCLAW_NO_RESPAWN=1): capabilities probe"));
  CHECK(environment_of(status["pid"].get<pid_t>()).contains("OPENCLAW_NO_RESPAWN=1"));
}

TEST_CASE("an external-mode exit 0 without a handoff is an ordinary exit") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("exit_after=300ms:0")}});
  fleet.start_supervisor();
  REQUIRE(fleet.wait_status("main", [](const json& now) { return now["restarts"].get<int>() >= 1; }));
  CHECK(fleet.status("main")["planned_restarts"] == 0);
  CHECK_THAT(fleet.profile_log("main"), Contains("exited 0 without a planned restart: no restart handoff: none (missing)"));
}

TEST_CASE("running means started: a live gateway still starting stays starting with its pending reason") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("startup_sidecars=2s")}});
  fleet.start_supervisor();
  const int port = fleet.ports.at("main");
  REQUIRE(fleet.wait_status("main", [](const json& now) {
    return now["reason"].get<std::string>().find("not started yet: starting: startup-sidecars") != std::string::npos;
  }));
  CHECK(fleet.status("main")["state"] == "starting");
  CHECK(http_get("127.0.0.1", port, "/healthz", 2s).ok());  // live all along
  REQUIRE(wait_control_socket(fleet));

  // `--wait` follows the same criterion: when it returns, the gateway says started.
  REQUIRE(supervisorctl(fleet, {"restart", "main", "--wait", "--timeout", "20s"}).exit_code == 0);
  auto startup = http_get("127.0.0.1", port, "/startupz", 2s);
  REQUIRE(startup.ok());
  CHECK(json::parse(startup.response->body, nullptr, false)["status"] == "started");
}

TEST_CASE("a starting gateway is probed every start_interval, not every interval") {
  // With a 20 s interval, `running` must not wait for the first interval.
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"health", "{interval: 20s}"}})}});
  fleet.start_supervisor();
  CHECK(fleet.wait_state("main", "running", 10s));
}
