// Where a profile's processes are kept (docs/supervisor.md, "Process tracking"): a cgroup of its
// own where a writable cgroup v2 hierarchy is the supervisor's (here, as root, the hierarchy at
// /sys/fs/cgroup/unified), otherwise /proc with the environment marker
// (MOLTBOT_SUPERVISOR_CGROUP=off). What is made is removed, what a killed supervisor left is
// ended by the next one. The behaviour of a stop, a restart and a port squatter is in the fault
// matrix (test_tracking_faults.cpp); a recycled pid in test_pid_reuse.cpp.
#include <signal.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>

#include "moltbot/test/wait_until.h"
#include "supervisor_fixture.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path recorded_cgroup(const SupervisorFixture& fleet, const std::string& profile) {
  return moltbot::test::recorded_cgroup(fleet.dir.path() / profile / "state");
}

std::string cgroup_of(pid_t pid) {
  const auto text = read_file("/proc/" + std::to_string(pid) + "/cgroup");
  const auto line = text.find("0::");
  return line == std::string::npos ? std::string() : text.substr(line + 3, text.find('\n', line) - line - 3);
}

bool in_cgroup(pid_t pid, const fs::path& cgroup) {
  const auto procs = "\n" + read_file(cgroup / "cgroup.procs");
  return procs.find("\n" + std::to_string(pid) + "\n") != std::string::npos;
}

std::string marker_instance(pid_t pid) {
  for (const auto& entry : environment_of(pid))
    if (entry.starts_with("MOLTBOT_SUPERVISOR_INSTANCE=")) return entry.substr(28);
  return {};
}

bool has_entry(pid_t pid, const std::string& entry) { return environment_of(pid).contains(entry); }

// The supervisor's own line on how it tracks processes, once it has written it.
std::string tracking_line(ChildProcess& supervisor) {
  std::string line;
  wait_until(
      [&] {
        std::smatch match;
        const auto err = supervisor.err();
        if (!std::regex_search(err, match, std::regex("process tracking: [^\n]*"))) return false;
        line = match.str();
        return true;
      },
      5s);
  return line;
}

// Whether this machine gives each profile a cgroup (as root where cgroup v2 is mounted and the
// supervisor sits at its root or in a delegated cgroup); the log line says why not, as a warning.
bool cgroups_here(ChildProcess& supervisor) {
  const auto line = tracking_line(supervisor);
  if (line.find("a cgroup v2 per profile below ") != std::string::npos) return true;
  WARN("cgroups not checked on this machine: " << line);
  return false;
}

// What systemd makes for a unit with Delegate=yes, at the root of the cgroup v2 hierarchy: a
// cgroup marked with the trusted.delegate attribute. Removed with everything in it.
class DelegatedUnitCgroup {
 public:
  explicit DelegatedUnitCgroup(const fs::path& dir) : dir_(dir) {
    if (::mkdir(dir_.c_str(), 0755) != 0) return;
    made_ = ::setxattr(dir_.c_str(), "trusted.delegate", "1", 1, 0) == 0;
  }
  ~DelegatedUnitCgroup() {
    std::ofstream(dir_ / "cgroup.kill") << "1";
    wait_until([&] { return read_file(dir_ / "cgroup.events").find("populated 1") == std::string::npos; }, 5s);
    std::error_code ignored;
    for (const auto& child : fs::directory_iterator(dir_, ignored))
      if (child.is_directory(ignored)) fs::remove(child.path(), ignored);
    fs::remove(dir_, ignored);
  }
  DelegatedUnitCgroup(const DelegatedUnitCgroup&) = delete;
  DelegatedUnitCgroup& operator=(const DelegatedUnitCgroup&) = delete;

  bool made() const { return made_; }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  bool made_ = false;
};

SupervisorLaunch without_cgroups() {
  SupervisorLaunch launch;
  launch.env["MOLTBOT_SUPERVISOR_CGROUP"] = "off";
  return launch;
}

}  // namespace

TEST_CASE("each profile's processes are in a cgroup of its own, removed when the supervisor stops") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("double_fork_helpers=3")},
                                   {"rescue", rescue_profile("double_fork_helpers=3")}});
  auto& supervisor = fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(main_pid > 0);
  REQUIRE(rescue_pid > 0);
  if (!cgroups_here(supervisor)) return;
  const auto line = tracking_line(supervisor);

  const auto main_cgroup = recorded_cgroup(fleet, "main");
  const auto rescue_cgroup = recorded_cgroup(fleet, "rescue");
  CHECK(main_cgroup.filename() == "profile-main");
  CHECK(rescue_cgroup.filename() == "profile-rescue");
  CHECK(main_cgroup.parent_path() == rescue_cgroup.parent_path());
  const auto instance_dir = main_cgroup.parent_path();
  CHECK_THAT(line, Catch::Contains(instance_dir.string()));
  // The gateway and the helpers it detached, each in its profile's cgroup and no other.
  CHECK(in_cgroup(main_pid, main_cgroup));
  CHECK(in_cgroup(rescue_pid, rescue_cgroup));
  for (pid_t helper : fleet.detached_helpers("main")) {
    CHECK(in_cgroup(helper, main_cgroup));
    CHECK_FALSE(in_cgroup(helper, rescue_cgroup));
  }
  // The supervisor itself stays out of them.
  CHECK_FALSE(in_cgroup(supervisor.pid(), main_cgroup));
  CHECK(cgroup_of(supervisor.pid()) != cgroup_of(main_pid));

  supervisor.signal(SIGTERM);
  auto exit = supervisor.wait_for_exit(15s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  CHECK_FALSE(fs::exists(main_cgroup));
  CHECK_FALSE(fs::exists(rescue_cgroup));
  CHECK_FALSE(fs::exists(instance_dir));
  CHECK_FALSE(fs::exists(fleet.dir.path() / "main/state/supervisor.cgroup"));
}

TEST_CASE("a profile's cgroup removed behind the supervisor's back is made again at the next start") {
  SupervisorFixture fleet(Profiles{
      {"main", main_profile({}, {{"restart", "{policy: always, backoff: {initial: 1s, max: 1s, factor: 1}, "
                                             "reset_after: 30s, max_restarts: 10, window: 1m}"}})}});
  auto& supervisor = fleet.start_supervisor();
  const pid_t gateway = fleet.running_pid("main");
  REQUIRE(gateway > 0);
  if (!cgroups_here(supervisor)) return;
  const auto cgroup = recorded_cgroup(fleet, "main");
  REQUIRE(::kill(gateway, SIGKILL) == 0);
  // Empty now, and the restart 1 s away.
  REQUIRE(wait_until([&] { return read_file(cgroup / "cgroup.events").find("populated 0") != std::string::npos; }, 5s));
  REQUIRE(fs::remove(cgroup));

  const bool restarted = fleet.wait_status("main", [&](const nlohmann::json& s) {
    return s["state"] == "running" && s["pid"] != gateway;
  });
  REQUIRE(restarted);
  CHECK(in_cgroup(fleet.status("main")["pid"].get<pid_t>(), cgroup));
  CHECK(fleet.status("main")["restarts"] == 1);
}

TEST_CASE("the cgroup of a killed supervisor: what is left in it is ended by the next supervisor, and it is removed") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("double_fork_helpers=3")}});
  auto& first = fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  if (!cgroups_here(first)) return;
  const auto helpers = fleet.detached_helpers("main");
  REQUIRE(helpers.size() == 3);
  const auto old_cgroup = recorded_cgroup(fleet, "main");
  REQUIRE_FALSE(old_cgroup.empty());

  first.signal(SIGKILL);
  REQUIRE(first.wait_for_exit(5s));
  // Its gateway died with it (PR_SET_PDEATHSIG); the helpers run on in the old cgroup.
  for (pid_t helper : helpers) CHECK(process_alive(helper));
  CHECK(read_file(old_cgroup / "cgroup.events").find("populated 1") != std::string::npos);

  auto& second = fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  for (pid_t helper : helpers) {
    CHECK(wait_until([&] { return !process_alive(helper); }, 5s));
    CHECK_THAT(second.err(), Catch::Contains("killed pid " + std::to_string(helper) +
                                             " (moltbot-gateway), left running by a supervisor that ended without "
                                             "stopping it"));
  }
  CHECK(wait_until([&] { return !fs::exists(old_cgroup) && !fs::exists(old_cgroup.parent_path()); }, 5s));
  const auto new_cgroup = recorded_cgroup(fleet, "main");
  CHECK(new_cgroup != old_cgroup);
  CHECK(in_cgroup(fleet.status("main")["pid"].get<pid_t>(), new_cgroup));
}

TEST_CASE("without cgroups, helpers adopted by the supervisor are attributed by the marker in their environment") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("double_fork_helpers=3")},
                                   {"rescue", rescue_profile("double_fork_helpers=3")}});
  auto& first = fleet.start_supervisor(without_cgroups());
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);
  REQUIRE(fleet.running_pid("rescue") > 0);
  CHECK_THAT(tracking_line(first),
             Catch::Contains("no cgroups (MOLTBOT_SUPERVISOR_CGROUP=off): descendants found through /proc, adopted "
                             "orphans through their MOLTBOT_SUPERVISOR_PROFILE marker"));
  CHECK(recorded_cgroup(fleet, "main").empty());
  CHECK(cgroup_of(main_pid) == cgroup_of(first.pid()));

  const auto instance = marker_instance(main_pid);
  CHECK(std::regex_match(instance, std::regex("[0-9a-f]{32}")));
  const auto helpers = fleet.detached_helpers("main");
  REQUIRE(helpers.size() == 3);
  for (pid_t helper : helpers) {
    CHECK(has_entry(helper, "MOLTBOT_SUPERVISOR_PROFILE=main"));
    CHECK(marker_instance(helper) == instance);
  }
  for (pid_t helper : fleet.detached_helpers("rescue")) CHECK(has_entry(helper, "MOLTBOT_SUPERVISOR_PROFILE=rescue"));
  // Recorded for the next supervisor once a probe has seen them.
  REQUIRE(wait_until(
      [&] {
        const auto record = "\n" + read_file(fleet.dir.path() / "main/state/supervisor.children");
        return std::all_of(helpers.begin(), helpers.end(), [&](pid_t helper) {
          return record.find("\n" + std::to_string(helper) + " ") != std::string::npos;
        });
      },
      5s));

  first.signal(SIGKILL);
  REQUIRE(first.wait_for_exit(5s));
  for (pid_t helper : helpers) CHECK(process_alive(helper));  // re-parented to init: nobody's now
  auto& second = fleet.start_supervisor(without_cgroups());
  REQUIRE(fleet.running_pid("main") > 0);
  for (pid_t helper : helpers) {
    CHECK(wait_until([&] { return !process_alive(helper); }, 5s));
    CHECK_THAT(second.err(), Catch::Contains("killed pid " + std::to_string(helper)));
  }
  CHECK(marker_instance(fleet.status("main")["pid"].get<pid_t>()) != instance);  // one id per supervisor
}

TEST_CASE("a profile whose cgroup cannot be made is tracked through /proc, said once in the log") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  auto& supervisor = fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  if (!cgroups_here(supervisor)) return;
  const auto instance_dir = recorded_cgroup(fleet, "main").parent_path();
  REQUIRE_FALSE(instance_dir.empty());
  // No room below the supervisor's cgroup for one more.
  std::ofstream(instance_dir / "cgroup.max.descendants") << "1";

  fleet.write_manifest(Profiles{{"main", main_profile()}, {"spare", main_profile("double_fork_helpers=3")}});
  supervisor.signal(SIGHUP);
  REQUIRE(fleet.running_pid("spare") > 0);
  CHECK_THAT(supervisor.err(), Catch::Contains("profile spare: cannot create cgroup " +
                                               (instance_dir / "profile-spare").string() +
                                               ": Resource temporarily unavailable; its processes are tracked "
                                               "through /proc"));
  CHECK(recorded_cgroup(fleet, "spare").empty());
  const auto helpers = fleet.detached_helpers("spare");
  REQUIRE(helpers.size() == 3);
  for (pid_t helper : helpers) CHECK(has_entry(helper, "MOLTBOT_SUPERVISOR_PROFILE=spare"));

  supervisor.signal(SIGTERM);
  auto exit = supervisor.wait_for_exit(15s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  for (pid_t helper : helpers) CHECK_FALSE(process_alive(helper));
  CHECK_FALSE(fs::exists(instance_dir));
}

TEST_CASE("in a cgroup delegated to it (Delegate=yes), the supervisor moves into supervisor/ beside its profiles") {
  // Where this test can make such a cgroup: as root, at the root of a cgroup v2 hierarchy.
  const auto root_cgroup = read_file("/proc/self/cgroup");
  const fs::path unit_dir = "/sys/fs/cgroup/unified/moltbot-test-" + std::to_string(::getpid()) + ".service";
  if (::geteuid() != 0 || root_cgroup.find("0::/\n") == std::string::npos || !fs::exists("/sys/fs/cgroup/unified")) {
    WARN("a delegated cgroup cannot be emulated here (needs root at the root of /sys/fs/cgroup/unified)");
    return;
  }
  DelegatedUnitCgroup unit(unit_dir);
  REQUIRE(unit.made());
  SupervisorFixture fleet(Profiles{{"main", main_profile("double_fork_helpers=3")}});
  SupervisorLaunch launch;
  launch.cgroup = unit.dir();
  auto& first = fleet.start_supervisor(launch);
  const pid_t gateway = fleet.running_pid("main");
  REQUIRE(gateway > 0);
  const auto unit_cgroup = "/" + unit.dir().filename().string();
  CHECK(cgroup_of(first.pid()) == unit_cgroup + "/supervisor");
  CHECK(cgroup_of(gateway) == unit_cgroup + "/profile-main");
  CHECK(recorded_cgroup(fleet, "main") == unit.dir() / "profile-main");
  CHECK_THAT(tracking_line(first), Catch::Contains("a cgroup v2 per profile below " + unit.dir().string() +
                                                   " (delegated to the supervisor, which moved itself into "
                                                   "supervisor/)"));
  // Nothing of the fleet in the unit's own cgroup: a delegated cgroup keeps processes in leaves.
  CHECK(read_file(unit.dir() / "cgroup.procs").empty());

  // Killed, and restarted in the same unit (systemd's Restart=): the next supervisor takes the
  // profile's cgroup over and ends what was left in it.
  const auto helpers = fleet.detached_helpers("main");
  REQUIRE(helpers.size() == 3);
  first.signal(SIGKILL);
  REQUIRE(first.wait_for_exit(5s));
  for (pid_t helper : helpers) CHECK(process_alive(helper));
  auto& second = fleet.start_supervisor(launch);
  const pid_t next = fleet.running_pid("main");
  REQUIRE(next > 0);
  for (pid_t helper : helpers) CHECK(wait_until([&] { return !process_alive(helper); }, 5s));
  CHECK(cgroup_of(next) == unit_cgroup + "/profile-main");
  CHECK(fleet.detached_helpers("main").size() == 3);
  for (pid_t helper : fleet.detached_helpers("main")) CHECK(cgroup_of(helper) == unit_cgroup + "/profile-main");

  second.signal(SIGTERM);
  auto exit = second.wait_for_exit(15s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  CHECK_FALSE(fs::exists(unit.dir() / "profile-main"));  // removed; supervisor/ is the unit's to clean
}
