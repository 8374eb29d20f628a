// Rolling reloads (`reload --rolling`, defaults.rollout) with the real daemon and bundled gateways:
// a good change rolls through one profile at a time, rescue last; a bad release (crash loop,
// never started, exit 78) stops it, the profiles it changed go back to their previous entries,
// those it did not reach (rescue among them) keep their pids, and the previous manifest stays in
// effect.
#include <catch2/catch.hpp>
#include <filesystem>

#include "control_fixture.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Catch::Contains;

namespace {

// The fixture's manifest with a rollout block in its defaults.
void with_rollout(SupervisorFixture& fleet, const std::string& rollout) {
  auto yaml = read_file(fleet.manifest);
  yaml.replace(yaml.find("defaults:\n"), 10, "defaults:\n  rollout: " + rollout + "\n");
  fleet.dir.write("fleet.yaml", yaml);
}

const std::map<std::string, std::string> changed_stop{{"stop", "{signal: SIGTERM, timeout: 2s}"}};

}  // namespace

TEST_CASE("a rolling reload replaces changed profiles one at a time, rescue last, each running first") {
  const std::map<std::string, std::string> idle{{"autostart", "false"}};
  SupervisorFixture fleet(Profiles{{"alpha", main_profile()},
                                   {"beta", main_profile()},
                                   {"delta", main_profile({}, idle)},
                                   {"main", main_profile()},
                                   {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  std::map<std::string, pid_t> before;
  for (const auto* name : {"alpha", "beta", "main", "rescue"}) before[name] = fleet.running_pid(name);
  REQUIRE(wait_control_socket(fleet));

  // Rescue is listed first in the manifest's order here and still goes last.
  auto idle_changed = changed_stop;
  idle_changed.insert(idle.begin(), idle.end());
  fleet.write_manifest(Profiles{{"alpha", main_profile({}, changed_stop)},
                                {"beta", main_profile()},
                                {"delta", main_profile({}, idle_changed)},
                                {"main", main_profile({}, changed_stop)},
                                {"rescue", rescue_profile({}, changed_stop)}});
  auto rolled = supervisorctl(fleet, {"--json", "reload", "--rolling", "--wait"});
  INFO(rolled.out << rolled.err);
  REQUIRE(rolled.exit_code == 0);
  const auto reply = ctl_json(rolled);
  CHECK(reply["rollout"] == "completed");
  CHECK(reply["replaced"] == json::array({"alpha", "delta", "main", "rescue"}));
  // Progress lines came first: each step's announcement.
  CHECK_THAT(rolled.out, Contains("rollout: replacing profile alpha (1 of 4)") &&
                             Contains("rollout: profile delta replaced and left stopped (autostart: false)") &&
                             Contains("rollout: replacing profile rescue (4 of 4)"));
  CHECK(fleet.status("delta")["state"] == "stopped");

  std::map<std::string, pid_t> after;
  for (const auto* name : {"alpha", "beta", "main", "rescue"}) after[name] = fleet.running_pid(name);
  CHECK(after["beta"] == before["beta"]);  // unchanged: untouched
  for (const auto* name : {"alpha", "main", "rescue"}) CHECK(after[name] != before[name]);
  // Each replacement started after the previous one was running.
  CHECK(start_ticks(after["alpha"]) <= start_ticks(after["main"]));
  CHECK(start_ticks(after["main"]) <= start_ticks(after["rescue"]));
  const auto log = fleet.supervisor().err();
  const auto main_replaced = log.find("rollout: profile main replaced and running");
  const auto rescue_replacing = log.find("rollout: replacing profile rescue");
  REQUIRE(main_replaced != std::string::npos);
  REQUIRE(rescue_replacing != std::string::npos);
  CHECK(main_replaced < rescue_replacing);
  CHECK_THAT(log, Contains("rollout: completed: alpha, delta, main, rescue"));
}

TEST_CASE("a bad release stops the rollout: what it changed goes back, the rest keeps its pids") {
  const auto [what, faults, rollout, reason] = GENERATE(table<std::string, std::string, std::string, std::string>({
      {"crash loop", "crash_at_start", "{}", "backoff: "},
      {"never started", "slow_start=1h", "{deadline: 3s}", "not running within 3s (its deadline)"},
      {"exit 78", "exit_after=0ms:78", "{}", ""},
  }));
  INFO(what);
  const Profiles previous{{"alpha", main_profile()},
                          {"main", main_profile()},
                          {"other", main_profile()},
                          {"rescue", rescue_profile()}};
  SupervisorFixture fleet(previous);
  fleet.start_supervisor();
  std::map<std::string, pid_t> before;
  for (const auto* name : {"alpha", "main", "other", "rescue"}) before[name] = fleet.running_pid(name);
  REQUIRE(wait_control_socket(fleet));

  // alpha's change is good and comes first; main's is the bad release; rescue's would be next.
  fleet.write_manifest(Profiles{{"alpha", main_profile({}, changed_stop)},
                                {"main", main_profile(faults)},
                                {"other", main_profile()},
                                {"rescue", rescue_profile({}, changed_stop)},
                                {"added", main_profile()}});
  with_rollout(fleet, rollout);
  auto rolled = supervisorctl(fleet, {"reload", "--wait"}, 120s);  // rolling: defaults.rollout
  INFO(rolled.out << rolled.err);
  CHECK(rolled.exit_code == 1);
  CHECK_THAT(rolled.err, Contains("rollout stopped at profile main: " + reason) &&
                             Contains("rolled back: alpha, main; not reached: rescue [rollout-failed]"));
  CHECK_THAT(rolled.err, Contains("last log lines of main:"));

  // Back on the previous entries, running again; the rest never touched; nothing added.
  CHECK(fleet.running_pid("alpha") != before["alpha"]);
  CHECK(fleet.wait_status("main", [](const json& status) { return status["state"] == "running"; }));
  CHECK(fleet.status("rescue")["pid"] == before["rescue"]);
  CHECK(fleet.status("other")["pid"] == before["other"]);
  CHECK(fleet.status("added").is_null());

  // The previous manifest is still the one in effect: reloading it changes nothing.
  fleet.write_manifest(previous);
  auto again = ctl_json(supervisorctl(fleet, {"--json", "reload"}));
  CHECK(again["restarted"].empty());
  CHECK(again["unchanged"].size() == 4);
}

TEST_CASE("status shows a rollout under way, and a second reload waits its turn") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(wait_control_socket(fleet));
  fleet.write_manifest(Profiles{{"main", main_profile("slow_start=1h")}, {"rescue", rescue_profile({}, changed_stop)}});
  with_rollout(fleet, "{deadline: 20s}");
  auto rolling = start_ctl(fleet, "rolling", {"--json", "reload", "--wait"});

  REQUIRE(fleet.wait_status("main", [](const json& status) {
    return status.contains("rollout") && status["rollout"]["phase"] == "replacing";
  }));
  auto listed = ctl_json(supervisorctl(fleet, {"--json", "status"}));
  CHECK(listed[0]["rollout"]["deadline_ms"] == 20000);
  CHECK(listed[1]["rollout"]["phase"] == "queued");
  auto table = supervisorctl(fleet, {"status"});
  CHECK_THAT(table.out, Contains("rollout: replacing main for ") && Contains("of 20s; then rescue"));
  auto second = supervisorctl(fleet, {"reload"});
  CHECK(second.exit_code == 1);
  CHECK_THAT(second.err, Contains("a rolling reload is under way") && Contains("[busy]"));

  // Stopping the supervisor abandons it; rescue was never touched.
  CHECK(fleet.status("rescue")["pid"] == rescue_pid);
  CHECK(supervisorctl(fleet, {"shutdown"}).exit_code == 0);
  auto ended = rolling->wait_for_exit(30s);
  REQUIRE(ended);
  CHECK(ended->code == 1);
  CHECK_THAT(rolling->err(), Contains("the supervisor is stopping"));
}

namespace {

// A release of the bundled gateway: a script in the fleet's dir that runs it after `prelude`.
std::filesystem::path release(SupervisorFixture& fleet, const std::string& name, const std::string& prelude) {
  auto path = fleet.dir.write(name, "#!/bin/sh\n" + prelude + "\nexec " MOLTBOT_GATEWAY_BIN " \"$@\"\n");
  std::filesystem::permissions(path, std::filesystem::perms(0755));
  return path;
}

std::map<std::string, std::string> running(const std::filesystem::path& program) {
  return {{"command", "[\"" + program.string() + "\", --profile, \"{profile}\", --port, \"{port}\"]"}};
}

}  // namespace

TEST_CASE("a new release: its databases copied and preflighted first, put back when the old release refuses them") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(wait_control_socket(fleet));
  const auto state = fleet.dir.path() / "main" / "state";
  REQUIRE(wait_until([&] { return std::filesystem::exists(state / "state" / "openclaw.sqlite"); }, 10s));

  SECTION("a release whose preflight refuses the database stops the rollout before anything stops") {
    const pid_t main_pid = fleet.running_pid("main");
    // A release whose CLI's preflight finds the database incompatible.
    const auto refusing = release(fleet, "gateway-refusing",
                                  "case \"$*\" in *preflight*) echo '{\"schema\":\"openclaw.state-schema-preflight.v1\","
                                  "\"status\":\"incompatible\",\"ok\":false}'; exit 1;; esac");
    fleet.write_manifest(Profiles{{"main", main_profile({}, running(refusing))},
                                  {"rescue", rescue_profile({}, changed_stop)}});
    auto rolled = supervisorctl(fleet, {"reload", "--rolling", "--wait"}, 60s);
    INFO(rolled.out << rolled.err);
    CHECK(rolled.exit_code == 1);
    CHECK_THAT(rolled.err, Contains("rollout stopped at profile main: the new release's database preflight refuses ") &&
                               Contains("rolled back: none; not reached: rescue"));
    CHECK(fleet.status("main")["pid"] == main_pid);  // never stopped
    CHECK(fleet.status("rescue")["pid"] == rescue_pid);
    CHECK(std::filesystem::exists(state / "backups"));
  }
  SECTION("the new release migrates; the rollout fails later; the old release gets its database back") {
    fleet.write_manifest(Profiles{{"main", main_profile({}, running(release(fleet, "gateway-v2", "export MOLTBOT_GATEWAY_SCHEMA_VERSION=2")))},
                                  {"rescue", rescue_profile("crash_at_start")}});
    auto rolled = supervisorctl(fleet, {"reload", "--rolling", "--wait"}, 120s);
    INFO(rolled.out << rolled.err << fleet.supervisor().err());
    CHECK(rolled.exit_code == 1);
    CHECK_THAT(rolled.err, Contains("rollout stopped at profile rescue: backoff: ") &&
                               Contains("rolled back: main, rescue; not reached: none"));
    // The old release refused the migrated database (exit 78), got the pre-change copy and runs.
    REQUIRE(fleet.wait_status("main", [](const json& status) { return status["state"] == "running"; }));
    const auto log = fleet.supervisor().err();
    CHECK_THAT(log, Contains("rollout: profile main: databases copied into " + (state / "backups").string()) &&
                        Contains("rollout: profile main: database preflight of ") &&
                        Contains("migration-required (found 1, target 2)") &&
                        Contains("refuses the state its new release left (exit 78)") &&
                        Contains("rollout: profile main: its databases are back as before the change"));
    CHECK(fleet.running_pid("rescue") > 0);
  }
}
