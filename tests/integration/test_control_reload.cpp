// Reloading the manifest of a running fleet (SIGHUP and `moltbot-supervisorctl reload`) with the
// real daemon and bundled gateways: what changes, what keeps its pid, what is refused.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "control_fixture.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Catch::Contains;

namespace {

// The fixture's gateways run as the test's own user: a test run as root gets a runs-as-root
// warning per profile (test_supervisor_users.cpp), which these cases are not about.
json without_root_warnings(const json& diagnostics) {
  json kept = json::array();
  for (const json& diagnostic : diagnostics)
    if (diagnostic.value("code", "") != "runs-as-root") kept.push_back(diagnostic);
  return kept;
}

// "NAME=value" entries of a running process's environment.
bool has_environment_entry(pid_t pid, const std::string& entry) {
  auto environ = read_file("/proc/" + std::to_string(pid) + "/environ");
  std::istringstream entries(environ);
  for (std::string item; std::getline(entries, item, '\0');)
    if (item == entry) return true;
  return false;
}

bool gone_from_status(SupervisorFixture& fleet, const std::string& profile) {
  return wait_until([&] { return fleet.status(profile).is_null(); }, state_deadline, 20ms);
}

// Whether the test can take the profile's lock itself, i.e. no supervisor holds it.
bool lock_is_free(const SupervisorFixture& fleet, const std::string& profile) {
  const auto path = fleet.dir.path() / profile / "state" / "supervisor.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

// Two errors in one profile: an unknown key and a bad duration.
Profiles with_invalid_profile(Profiles profiles) {
  profiles["broken"] = main_profile({}, {{"prot", "1"}, {"health", "{interval: 5x}"}});
  return profiles;
}

const Profiles main_and_rescue{{"main", main_profile()}, {"rescue", rescue_profile()}};

}  // namespace

TEST_CASE("reload adds, removes and restarts profiles, and unchanged ones keep their pids") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"old", main_profile()}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  const pid_t old_pid = fleet.running_pid("old");
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(main_pid > 0);
  REQUIRE(old_pid > 0);
  REQUIRE(rescue_pid > 0);
  REQUIRE(wait_control_socket(fleet));

  fleet.write_manifest(Profiles{{"main", main_profile({}, {{"stop", "{signal: SIGTERM, timeout: 2s}"}})},
                                {"new", main_profile()},
                                {"rescue", rescue_profile()}});
  auto reply = ctl_json(supervisorctl(fleet, {"--json", "reload"}));
  CHECK(reply["manifest"] == fleet.manifest.string());
  CHECK(reply["added"] == json::array({"new"}));
  CHECK(reply["removed"] == json::array({"old"}));
  CHECK(reply["restarted"] == json::array({"main"}));
  CHECK(reply["unchanged"] == json::array({"rescue"}));
  CHECK(reply["warnings"].empty());
  CHECK(without_root_warnings(reply["diagnostics"]).empty());

  CHECK(fleet.running_pid("new") > 0);
  REQUIRE(fleet.wait_status("main", [&](const json& status) { return status["state"] == "running" && status["pid"] != main_pid; }));
  const pid_t new_main_pid = fleet.running_pid("main");
  CHECK(gone_from_status(fleet, "old"));
  CHECK_FALSE(process_alive(old_pid));
  CHECK_FALSE(process_alive(main_pid));
  CHECK(fleet.status("rescue")["pid"] == rescue_pid);
  CHECK(lock_is_free(fleet, "old"));
  CHECK_FALSE(lock_is_free(fleet, "new"));
  CHECK(fleet.status("main")["restarts"] == 0);

  // The profile's log and its tail go on across the replacement; the daemon logs what the
  // reload did.
  auto tail = supervisorctl(fleet, {"logs", "main", "-n", "200"}).out;
  CHECK_THAT(tail, Contains("(pid " + std::to_string(main_pid) + ")") && Contains("entry changed (reload)") &&
                       Contains("(pid " + std::to_string(new_main_pid) + ")"));
  CHECK_THAT(fleet.supervisor().err(),
             Contains("reload (reload command): " + fleet.manifest.string() +
                      ": added: new; removed: old; restarted: main; unchanged: rescue") &&
                 Contains("profile main: re-created from its new entry (reload)") &&
                 Contains("profile old: removed (reload)") && Contains("profile new: added (reload)"));
  auto status = ctl_json(supervisorctl(fleet, {"--json", "status"}));
  REQUIRE(status.size() == 3);
  CHECK(status[0]["name"] == "main");
  CHECK(status[1]["name"] == "new");
  CHECK(status[2]["name"] == "rescue");
}

TEST_CASE("the rescue is restarted only when its own entry changed") {
  SupervisorFixture fleet(main_and_rescue);
  fleet.start_supervisor();
  pid_t main_pid = fleet.running_pid("main");
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(main_pid > 0);
  REQUIRE(rescue_pid > 0);
  REQUIRE(wait_control_socket(fleet));

  SECTION("main changes") {
    fleet.write_manifest(Profiles{{"main", main_profile({}, {{"autostart", "true"}, {"env", "{EXTRA: \"1\"}"}})},
                                  {"rescue", rescue_profile()}});
    auto reload = supervisorctl(fleet, {"reload"});
    CHECK(reload.exit_code == 0);
    CHECK_THAT(reload.out, Contains("restarted: main") && Contains("unchanged: rescue"));
    CHECK(fleet.wait_status("main", [&](const json& status) { return status["state"] == "running" && status["pid"] != main_pid; }));
    CHECK(has_environment_entry(fleet.running_pid("main"), "EXTRA=1"));
    CHECK(fleet.status("rescue")["pid"] == rescue_pid);
  }
  SECTION("the rescue changes") {
    fleet.write_manifest(Profiles{{"main", main_profile()},
                                  {"rescue", rescue_profile({}, {{"stop", "{signal: SIGINT, timeout: 2s}"}})}});
    auto reply = ctl_json(supervisorctl(fleet, {"--json", "reload"}));
    CHECK(reply["restarted"] == json::array({"rescue"}));
    CHECK(reply["unchanged"] == json::array({"main"}));
    CHECK(fleet.wait_status("rescue", [&](const json& status) { return status["state"] == "running" && status["pid"] != rescue_pid; }));
    CHECK(fleet.status("main")["pid"] == main_pid);
  }
}

TEST_CASE("a changed profile with autostart: false runs again when it was up, and stays down when it was down") {
  const std::map<std::string, std::string> idle{{"autostart", "false"}};
  auto changed = idle;
  changed.emplace("env", "{EXTRA: \"1\"}");
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"down", main_profile({}, idle)}, {"rescue", rescue_profile({}, idle)}});
  fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(wait_control_socket(fleet));
  REQUIRE(supervisorctl(fleet, {"start", "rescue"}).exit_code == 0);  // by hand, as an operator does
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(rescue_pid > 0);

  fleet.write_manifest(Profiles{{"main", main_profile()}, {"down", main_profile({}, changed)}, {"rescue", rescue_profile({}, changed)}});
  const bool rolling = GENERATE(false, true);
  INFO((rolling ? "reload --rolling --wait" : "reload"));
  auto reload = supervisorctl(fleet, rolling ? std::vector<std::string>{"--json", "reload", "--rolling", "--wait"}
                                             : std::vector<std::string>{"--json", "reload"});
  INFO(reload.out << reload.err);
  REQUIRE(reload.exit_code == 0);
  CHECK(fleet.wait_status("rescue", [&](const json& status) { return status["state"] == "running" && status["pid"] != rescue_pid; }));
  CHECK(has_environment_entry(fleet.running_pid("rescue"), "EXTRA=1"));
  CHECK(fleet.status("down")["state"] == "stopped");
  if (rolling) CHECK_THAT(reload.out, Contains("rollout: profile down replaced and left stopped") &&
                                      Contains("rollout: profile rescue replaced and running"));
}

TEST_CASE("an invalid manifest leaves the fleet untouched and every diagnostic comes back") {
  SupervisorFixture fleet(main_and_rescue);
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(wait_control_socket(fleet));
  fleet.write_manifest(with_invalid_profile({{"rescue", rescue_profile()}}));

  auto human = supervisorctl(fleet, {"reload"});
  CHECK(human.exit_code == 1);
  CHECK_THAT(human.err, Contains(fleet.manifest.string() + ": invalid manifest (2 errors): nothing was changed [invalid-manifest]") &&
                            Contains("error[unknown-key]") && Contains("error[bad-duration]") && Contains("2 errors"));
  auto as_json = supervisorctl(fleet, {"--json", "reload"});
  CHECK(as_json.exit_code == 1);
  auto diagnostics = without_root_warnings(ctl_json(as_json));
  REQUIRE(diagnostics.size() == 2);
  for (const auto& diagnostic : diagnostics)
    for (const char* field : {"severity", "code", "message", "line", "column", "profile", "related"})
      CHECK(diagnostic.contains(field));
  CHECK(diagnostics[0]["profile"] == "broken");

  // Nothing happened: main was neither stopped nor removed, nothing was added.
  auto status = ctl_json(supervisorctl(fleet, {"--json", "status"}));
  REQUIRE(status.size() == 2);
  CHECK(status[0]["pid"] == main_pid);
  CHECK(status[0]["state"] == "running");
  CHECK(status[1]["pid"] == rescue_pid);
  CHECK_THAT(fleet.supervisor().err(), Contains("error[unknown-key]") && Contains("nothing was changed"));
  CHECK(fleet.supervisor().running());
}

TEST_CASE("an unreadable manifest changes nothing") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(wait_control_socket(fleet));
  std::filesystem::remove(fleet.manifest);
  std::filesystem::create_directory(fleet.manifest);

  auto reload = supervisorctl(fleet, {"reload"});
  CHECK(reload.exit_code == 1);
  CHECK_THAT(reload.err, Contains("nothing was changed [unreadable-manifest]") && Contains(fleet.manifest.string()));
  CHECK(fleet.status("main")["pid"] == main_pid);
  CHECK(fleet.status("main")["state"] == "running");
}

TEST_CASE("SIGHUP reloads like the reload command, and an invalid manifest keeps the supervisor running") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  auto& supervisor = fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);

  fleet.write_manifest(with_invalid_profile({{"main", main_profile()}}));
  supervisor.signal(SIGHUP);
  CHECK(wait_until([&] { return supervisor.err().find("reload (SIGHUP received)") != std::string::npos; }, 10s));
  CHECK_THAT(supervisor.err(), Contains("error[unknown-key]") && Contains("nothing was changed"));
  CHECK(supervisor.running());

  fleet.write_manifest(Profiles{{"main", main_profile()}, {"spare", main_profile({}, {{"autostart", "false"}})}});
  supervisor.signal(SIGHUP);
  CHECK(fleet.wait_state("spare", "stopped"));
  CHECK(fleet.status("main")["pid"] == main_pid);
  CHECK_THAT(supervisor.err(), Contains("added: spare; removed: none; restarted: none; unchanged: main"));
}

TEST_CASE("a reload while an earlier one's stops are under way merges with it") {
  // `slow` ignores SIGTERM: it takes its whole stop.timeout to go.
  SupervisorFixture fleet(Profiles{{"main", main_profile()},
                                   {"slow", main_profile("ignore_sigterm", {{"stop", "{signal: SIGTERM, timeout: 4s}"}})}});
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(fleet.running_pid("slow") > 0);
  REQUIRE(wait_control_socket(fleet));

  fleet.write_manifest(Profiles{{"main", main_profile()}});
  auto first = ctl_json(supervisorctl(fleet, {"--json", "reload"}));
  CHECK(first["removed"] == json::array({"slow"}));
  REQUIRE(fleet.wait_state("slow", "stopping"));
  // While it stops, nothing brings the old entry back.
  CHECK(supervisorctl(fleet, {"start", "slow"}).exit_code == 0);

  fleet.write_manifest(Profiles{{"main", main_profile({}, {{"env", "{EXTRA: \"2\"}"}})}, {"extra", main_profile()}});
  auto second = ctl_json(supervisorctl(fleet, {"--json", "reload"}));
  CHECK(second["added"] == json::array({"extra"}));
  CHECK(second["restarted"] == json::array({"main"}));
  CHECK(second["removed"].empty());  // slow was already on its way out
  // Added profiles wait for the stops: they may take over what the leaving ones free.
  CHECK(fleet.status("extra").is_null());
  CHECK(fleet.status("slow")["state"] == "stopping");

  CHECK(gone_from_status(fleet, "slow"));
  CHECK(fleet.running_pid("extra") > 0);
  CHECK(fleet.wait_status("main", [&](const json& status) { return status["state"] == "running" && status["pid"] != main_pid; }));
  CHECK(has_environment_entry(fleet.running_pid("main"), "EXTRA=2"));
  CHECK_THAT(fleet.profile_log("slow"), Contains("SIGKILL sent"));
}

TEST_CASE("a profile locked by another supervisor refuses the whole reload") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"old", main_profile()}});
  fleet.start_supervisor();
  const pid_t old_pid = fleet.running_pid("old");
  REQUIRE(old_pid > 0);
  REQUIRE(wait_control_socket(fleet));

  // The test plays the other supervisor: it holds the lock of the profile the reload would add.
  std::filesystem::create_directories(fleet.dir.path() / "taken" / "state");
  const auto lock_path = fleet.dir.path() / "taken" / "state" / "supervisor.lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(lock >= 0);
  REQUIRE(::flock(lock, LOCK_EX | LOCK_NB) == 0);
  REQUIRE(::write(lock, "1\n", 2) == 2);

  fleet.write_manifest(Profiles{{"main", main_profile()}, {"taken", main_profile()}});
  auto reload = supervisorctl(fleet, {"reload"});
  ::close(lock);
  CHECK(reload.exit_code == 1);
  CHECK_THAT(reload.err, Contains("profile \"taken\" is managed elsewhere") && Contains("[cannot-apply]"));
  // All or nothing: old was not stopped.
  CHECK(fleet.status("old")["pid"] == old_pid);
  CHECK(fleet.status("old")["state"] == "running");
  CHECK(fleet.status("taken").is_null());
}

TEST_CASE("supervisor settings that cannot change live are reported, the rest is applied") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(wait_control_socket(fleet));
  auto text = read_file(fleet.manifest);
  text.replace(text.find("log_dir: ./logs"), 15, "log_dir: ./elsewhere");
  fleet.dir.write("fleet.yaml", text);

  auto reload = supervisorctl(fleet, {"reload"});
  CHECK(reload.exit_code == 0);
  CHECK_THAT(reload.out, Contains("unchanged: main") && Contains("warning: supervisor.log_dir: ") &&
                             Contains("needs a supervisor restart"));
  CHECK_THAT(fleet.supervisor().err(), Contains("needs a supervisor restart"));
  CHECK(fleet.status("main")["pid"] == main_pid);
}

TEST_CASE("a reload while shutting down is refused") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("ignore_sigterm", {{"stop", "{signal: SIGTERM, timeout: 2s}"}})}});
  auto& supervisor = fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(wait_control_socket(fleet));

  REQUIRE(supervisorctl(fleet, {"shutdown"}).exit_code == 0);
  REQUIRE(fleet.wait_state("main", "stopping"));
  auto reload = supervisorctl(fleet, {"reload"});
  CHECK(reload.exit_code == 1);
  CHECK_THAT(reload.err, Contains("shutting down") && Contains("[shutting-down]"));
  auto exit = supervisor.wait_for_exit(15s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
}
