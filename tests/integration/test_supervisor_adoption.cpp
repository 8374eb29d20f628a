// Adoption after a crash (docs/supervisor.md): under a service manager with a descriptor store
// (emulated: service_manager.h), a supervisor killed with -9 leaves its gateways running, their
// output pipes and its control socket's listener in the store and a record of each gateway in
// its state dir; the next supervisor adopts them. Variants: an entry changed meanwhile, a pipe the
// store lost, `on_crash: restart`, and records no supervisor wrote (one forged by the gateway's
// own user, who owns the state dir).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "control_fixture.h"
#include "counting_gateway.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/test/run_process.h"
#include "moltbot/test/system_account.h"
#include "moltbot/test/wait_until.h"
#include "service_manager.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::set<std::string> all_kept{"control", "out-counter", "out-main", "out-rescue"};

Profiles three_profiles() {
  return {{"counter", counting_profile()}, {"main", main_profile()}, {"rescue", rescue_profile()}};
}

fs::path child_record(const SupervisorFixture& fleet, const std::string& profile) {
  return fleet.dir.path() / profile / "state" / "supervisor.child";
}

// Starts a supervisor under `manager`, waits for every profile to run and returns their pids.
std::map<std::string, pid_t> start_fleet(SupervisorFixture& fleet, EmulatedServiceManager& manager,
                                         const std::set<std::string>& kept = all_kept) {
  manager.start();
  std::map<std::string, pid_t> pids;
  for (const auto& name : {"counter", "main", "rescue"}) pids[name] = fleet.running_pid(name);
  REQUIRE(manager.wait_stored(kept));
  return pids;
}

void kill_supervisor(SupervisorFixture& fleet) {
  auto& supervisor = fleet.supervisor();
  supervisor.signal(SIGKILL);
  REQUIRE(supervisor.wait_for_exit(5s));
}

bool running_as(SupervisorFixture& fleet, const std::string& profile, pid_t pid) {
  return fleet.wait_status(profile, [&](const nlohmann::json& entry) {
    return entry["state"] == "running" && entry["pid"] == pid;
  });
}

}  // namespace

TEST_CASE("a supervisor killed with -9 under a descriptor store: its successor adopts every gateway") {
  SupervisorFixture fleet(three_profiles());
  EmulatedServiceManager manager(fleet);
  auto pids = start_fleet(fleet, manager);
  for (const auto& [name, pid] : pids) CHECK(fs::exists(child_record(fleet, name)));

  kill_supervisor(fleet);
  for (const auto& [name, pid] : pids) CHECK(process_alive(pid));  // no PR_SET_PDEATHSIG
  const auto before = counted_lines(fleet.profile_log("counter"));
  REQUIRE_FALSE(before.empty());
  // The listener lives on in the store: a request sent now waits for the next supervisor.
  RawConnection early(fleet.control_socket().string());
  early.send(request_line("status"));

  auto& second = manager.start();
  const auto reply = early.read_line();
  REQUIRE(reply);
  CHECK((*reply)["ok"] == true);
  for (const auto& [name, pid] : pids) {
    INFO(name);
    CHECK(running_as(fleet, name, pid));
    CHECK(fleet.status(name)["restarts"] == 0);
    CHECK(second.err().find("profile " + name + ": adopted its gateway pid " + std::to_string(pid)) !=
          std::string::npos);
  }
  // Every line the counter wrote while no supervisor ran waited in its pipe: none lost.
  REQUIRE(wait_until([&] { return counted_lines(fleet.profile_log("counter")).size() > before.size() + 20; }, 10s));
  const auto numbers = counted_lines(fleet.profile_log("counter"));
  for (std::size_t i = 1; i < numbers.size(); ++i) {
    INFO("line " << i);
    REQUIRE(numbers[i] == numbers[i - 1] + 1);
  }

  // A re-exec carries adopted gateways across with their pidfds.
  REQUIRE(supervisorctl(fleet, {"reexec"}).exit_code == 0);
  for (const auto& [name, pid] : pids) CHECK(running_as(fleet, name, pid));

  // Init reaps an adopted gateway: its exit comes through its pidfd, its status unknown.
  REQUIRE(::kill(pids["main"], SIGKILL) == 0);
  REQUIRE(fleet.wait_status("main", [&](const nlohmann::json& entry) {
    return entry["state"] == "running" && entry["pid"] != pids["main"];
  }));
  const auto main = fleet.status("main");
  CHECK(main["restarts"] == 1);
  CHECK(main["last_exit"]["code"].is_null());
  CHECK(main["last_exit"]["reason"].get<std::string>().find("status unknown") != std::string::npos);
  CHECK(running_as(fleet, "rescue", pids["rescue"]));
  // The new gateway is kept for a successor as the adopted ones are.
  CHECK(manager.wait_stored(all_kept));

  // A clean stop ends every gateway, adopted or not, and leaves nothing for a successor.
  second.signal(SIGTERM);
  const auto exit = second.wait_for_exit(15s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  for (const auto& [name, pid] : pids) CHECK_FALSE(process_alive(pid));
  CHECK(manager.wait_stored({}));
  for (const auto& [name, pid] : pids) CHECK_FALSE(fs::exists(child_record(fleet, name)));
}

TEST_CASE("adoption: an entry changed while no supervisor ran is restarted, the others are adopted") {
  auto profiles = three_profiles();
  SupervisorFixture fleet(profiles);
  EmulatedServiceManager manager(fleet);
  auto pids = start_fleet(fleet, manager);
  kill_supervisor(fleet);

  profiles["main"].overrides["env"] = "{CHANGED: \"yes\"}";
  fleet.write_manifest(profiles);
  auto& second = manager.start();
  REQUIRE(fleet.wait_status("main", [&](const nlohmann::json& entry) {
    return entry["state"] == "running" && entry["pid"] != pids["main"];
  }));
  CHECK_FALSE(process_alive(pids["main"]));  // stopped with its stop signal, not left running
  CHECK(environment_of(fleet.status("main")["pid"].get<pid_t>()).contains("CHANGED=yes"));
  CHECK(second.err().find("its entry changed since it started: restarting it") != std::string::npos);
  CHECK(running_as(fleet, "rescue", pids["rescue"]));
  CHECK(running_as(fleet, "counter", pids["counter"]));
}

TEST_CASE("adoption: a gateway whose output pipe the store lost is ended and started afresh") {
  SupervisorFixture fleet(three_profiles());
  EmulatedServiceManager manager(fleet);
  auto pids = start_fleet(fleet, manager);
  kill_supervisor(fleet);

  auto& second = manager.start({"out-main"});
  REQUIRE(fleet.wait_status("main", [&](const nlohmann::json& entry) {
    return entry["state"] == "running" && entry["pid"] != pids["main"];
  }));
  CHECK(wait_until([&] { return !process_alive(pids["main"]); }, 5s));
  CHECK(fleet.status("main")["restarts"] == 0);  // a fresh start, not a failure
  CHECK(second.err().find("the service manager did not pass its output pipe back") != std::string::npos);
  CHECK(second.err().find("killed its gateway pid " + std::to_string(pids["main"])) != std::string::npos);
  CHECK(running_as(fleet, "rescue", pids["rescue"]));
}

TEST_CASE("adoption: with on_crash: restart the gateways die with the supervisor, and nothing is kept") {
  SupervisorFixture fleet(three_profiles());
  {
    std::ifstream in(fleet.manifest);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string block = "supervisor:\n";
    text.insert(text.find(block) + block.size(), "  on_crash: restart\n");
    std::ofstream(fleet.manifest, std::ios::trunc) << text;
  }
  EmulatedServiceManager manager(fleet);
  manager.start();
  std::map<std::string, pid_t> pids;
  for (const auto& name : {"counter", "main", "rescue"}) pids[name] = fleet.running_pid(name);
  CHECK(manager.stored_names().empty());
  for (const auto& [name, pid] : pids) CHECK_FALSE(fs::exists(child_record(fleet, name)));

  kill_supervisor(fleet);
  for (const auto& [name, pid] : pids) CHECK(wait_until([&] { return !process_alive(pid); }, 5s));
}

// Whoever can write a state dir can write records: a record is acted on only for a process proven
// to be the profile's (docs/supervisor.md, "Adoption after a crash").
TEST_CASE("adoption: records naming processes that are not the profile's are neither adopted nor killed") {
  SupervisorFixture fleet({{"main", main_profile()}, {"rescue", rescue_profile()}});
  EmulatedServiceManager manager(fleet);
  ChildOptions options;
  options.argv = {"/bin/sleep", "600"};
  options.name = "bystander";
  options.output_dir = fleet.dir.path();
  ChildProcess bystander(options);
  const auto proc = moltbot::runtime::read_proc_stat(bystander.pid());
  REQUIRE(proc);
  const auto stat = proc->start_time;
  const auto state = fleet.dir.path() / "main" / "state";
  fs::create_directories(state);
  const std::string instance = "0123456789abcdef0123456789abcdef";
  std::ofstream(state / "supervisor.child")
      << R"({"version":1,"pid":)" << bystander.pid() << R"(,"start_time":)" << stat << R"(,"pgid":)"
      << bystander.pid() << R"(,"entry_hash":"0000000000000001","instance":")" << instance
      << R"(","restart_mode":"in-process"})";
  std::ofstream(state / "supervisor.children") << "instance " << instance << "\n" << bystander.pid() << " " << stat << "\n";

  auto& supervisor = manager.start();
  const pid_t main = fleet.running_pid("main");
  CHECK(main != bystander.pid());
  CHECK(bystander.running());
  CHECK(supervisor.err().find("pid " + std::to_string(bystander.pid()) + " (sleep) is in the record of a predecessor's "
                              "leftovers, but nothing proves it was started for this profile: left alone") !=
        std::string::npos);
  CHECK(supervisor.err().find("adopted") == std::string::npos);
}

// The attack of a compromised gateway: its user owns the profile's state dir, so it can rewrite the
// records the next supervisor reads there. Records naming a root process (no marker) are never
// acted on; the gateway's own processes are all it could have killed.
TEST_CASE("adoption: records forged by the gateway's own user name no process it does not own") {
  if (!running_as_root()) {
    WARN("skipped: needs root to make a user and to switch to it");
    return;
  }
  SystemUser gateway_user;
  SupervisorFixture fleet({{"main", main_profile({}, {{"user", gateway_user.name()}})}, {"rescue", rescue_profile()}});
  REQUIRE(::chmod(fleet.dir.path().c_str(), 0711) == 0);  // passable for the gateway's user
  fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  fleet.supervisor().signal(SIGTERM);
  REQUIRE(fleet.supervisor().wait_for_exit(15s));

  ChildOptions options;
  options.argv = {"/bin/sleep", "600"};
  options.name = "root-bystander";
  options.output_dir = fleet.dir.path();
  ChildProcess bystander(options);
  const auto proc = moltbot::runtime::read_proc_stat(bystander.pid());
  REQUIRE(proc);
  const std::string pid = std::to_string(bystander.pid()), start = std::to_string(proc->start_time);
  const std::string instance = "0123456789abcdef0123456789abcdef";
  const std::string child_record = R"({"version":1,"pid":)" + pid + R"(,"start_time":)" + start + R"(,"pgid":)" + pid +
                                   R"(,"entry_hash":"0000000000000001","instance":")" + instance +
                                   R"(","restart_mode":"in-process"})";
  ProcessRun forge;
  forge.argv = {"/usr/bin/setpriv", "--reuid=" + gateway_user.name(), "--regid=" + std::to_string(gateway_user.gid()),
                "--clear-groups", "/bin/sh", "-c",
                "printf '%s' \"$1\" > supervisor.child && printf 'instance %s\\n%s %s\\n' \"$2\" \"$3\" \"$4\" > "
                "supervisor.children",
                "sh", child_record, instance, pid, start};
  forge.cwd = (fleet.dir.path() / "main" / "state").string();
  forge.env = {{"PATH", "/usr/bin:/bin"}};
  const auto forged = run_process(forge);
  INFO(forged.err);
  REQUIRE(forged.exit_code == 0);

  auto& second = fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  CHECK(bystander.running());
  CHECK(second.err().find("pid " + pid + " (sleep) is in the record of a predecessor's leftovers, but nothing proves "
                          "it was started for this profile: left alone") != std::string::npos);
  CHECK(second.err().find("killed") == std::string::npos);
}
