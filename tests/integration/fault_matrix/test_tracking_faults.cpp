// Fault matrix, processes that leave their gateway's tree: helpers detached like `setsid -f`, a
// squatter that takes the gateway's port once the gateway is dead. Each with a cgroup per profile
// (the default here, as root) and without (MOLTBOT_SUPERVISOR_CGROUP=off: the environment marker).
#include <signal.h>

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "../control_fixture.h"
#include "fault_fleet.h"
#include "fault_table.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace moltbot::test::fault_matrix;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

SupervisorLaunch tracking_launch(bool cgroups) {
  SupervisorLaunch launch;
  if (!cgroups) launch.env["MOLTBOT_SUPERVISOR_CGROUP"] = "off";
  return launch;
}

std::size_t alive(const std::vector<pid_t>& pids) {
  return static_cast<std::size_t>(std::count_if(pids.begin(), pids.end(), process_alive));
}

// How the supervisor knows the helper is gamma's: its cgroup, or the marker in its environment.
bool attributed(pid_t pid, bool cgroups) {
  if (cgroups)
    return read_file("/proc/" + std::to_string(pid) + "/cgroup").find("/profile-gamma\n") != std::string::npos;
  return environment_of(pid).contains("MOLTBOT_SUPERVISOR_PROFILE=gamma");
}

void double_forked_helpers(bool cgroups) {
  FaultFleet fleet({{"gamma", main_profile("double_fork_helpers=100")}});
  fleet.start({}, tracking_launch(cgroups));
  const pid_t gateway = fleet.pid_at_start("gamma");
  const auto helpers = fleet.fixture.detached_helpers("gamma");
  REQUIRE(helpers.size() == 100);
  CHECK(alive(helpers) == 100);
  // The fault is real: no helper is a child of the gateway (they were orphans at once) or in its
  // process group.
  std::size_t outside = 0, marked = 0;
  for (pid_t pid : helpers) {
    auto stat = moltbot::runtime::read_proc_stat(pid);
    if (stat && stat->ppid != gateway && stat->pgid != gateway) ++outside;
    if (attributed(pid, cgroups)) ++marked;
  }
  CHECK(outside == 100);
  CHECK(marked == 100);
  observe(fmt::format("{} helpers outside the gateway's tree and group, {} {}", outside, marked,
                      cgroups ? "in gamma's cgroup" : "carrying MOLTBOT_SUPERVISOR_PROFILE=gamma"));

  auto restarted = ctl_json(supervisorctl(fleet.fixture, {"--json", "restart", "gamma", "--wait", "--timeout", "30s"}));
  CHECK(restarted["states"]["gamma"] == "running");
  const auto left_after_restart = alive(helpers);
  CHECK(left_after_restart == 0);
  const auto new_helpers = fleet.fixture.detached_helpers("gamma");
  CHECK(new_helpers.size() == 100);
  CHECK(alive(new_helpers) == 100);
  observe(fmt::format("after `restart gamma --wait`: {} of the old helpers left, {} new ones running",
                      left_after_restart, alive(new_helpers)));

  auto stopped = ctl_json(supervisorctl(fleet.fixture, {"--json", "stop", "gamma", "--wait", "--timeout", "30s"}));
  CHECK(stopped["states"]["gamma"] == "stopped");
  const auto left_after_stop = alive(new_helpers);
  CHECK(left_after_stop == 0);
  observe(fmt::format("after `stop gamma --wait`: {} helpers left", left_after_stop));
  fleet.check_untouched({"gamma"});
}

void port_squatter(bool cgroups) {
  // The squatter ignores SIGTERM like its gateway, so it surely holds the port before the
  // supervisor's SIGKILL, 1 s after the stop signal.
  FaultFleet fleet(
      {{"gamma", main_profile("port_squatter,ignore_sigterm", {{"stop", "{signal: SIGTERM, timeout: 1s}"}})}});
  fleet.start({}, tracking_launch(cgroups));
  const pid_t gateway = fleet.pid_at_start("gamma");
  const auto status = fleet.fixture.gateway_status("gamma");
  REQUIRE(status.contains("squatter_pid"));
  const pid_t squatter = status["squatter_pid"];
  CHECK(attributed(squatter, cgroups));
  REQUIRE(wait_until([&] { return ignores_signal(squatter, SIGTERM); }, 5s));

  const auto injected = Clock::now();
  REQUIRE(::kill(gateway, SIGKILL) == 0);
  const bool squatted = wait_until(
      [&] { return fleet.fixture.profile_log("gamma").find("squatting port") != std::string::npos; }, 5s);
  CHECK(squatted);
  const pid_t new_pid = fleet.wait_new_pid("gamma", gateway);
  REQUIRE(new_pid > 0);
  CHECK_FALSE(process_alive(squatter));
  CHECK(gateway_pid(fleet.fixture.ports["gamma"]) == new_pid);
  const auto status_after = fleet.status("gamma");
  CHECK(status_after["restarts"] == 1);
  observe(fmt::format("squatter {} the port after kill -9 of the gateway; ended, gamma running again as pid {} "
                      "after {} ms, restarts {}",
                      squatted ? "took" : "did not take", new_pid, ms_since(injected),
                      status_after["restarts"].dump()));
  fleet.check_untouched({"gamma"});
}

}  // namespace

TEST_CASE("100 double-forked helpers per start (a cgroup per profile)") {
  expect("gamma starts 100 helpers detached like `setsid -f` (no descendants of it, sessions of their own), all in "
         "its cgroup; `restart gamma` ends all 100 before the new gamma starts 100 more; `stop gamma` ends those; "
         "the 4 others untouched");
  double_forked_helpers(true);
}

TEST_CASE("100 double-forked helpers per start, without cgroups (environment marker)") {
  expect("the same with MOLTBOT_SUPERVISOR_CGROUP=off: the helpers, adopted by the supervisor, are gamma's by "
         "MOLTBOT_SUPERVISOR_PROFILE=gamma in their environment; none left after the restart or the stop");
  double_forked_helpers(false);
}

TEST_CASE("a port squatter forked by the gateway (a cgroup per profile)") {
  expect("gamma's detached squatter takes gamma's port when gamma is killed -9; it is ended with gamma (SIGKILL "
         "after stop.timeout 1 s) and gamma runs again on its port, 1 restart; the 4 others untouched");
  port_squatter(true);
}

TEST_CASE("a port squatter forked by the gateway, without cgroups (environment marker)") {
  expect("the same with MOLTBOT_SUPERVISOR_CGROUP=off: the squatter is found by its marker, ended, and gamma runs "
         "again instead of `waiting` for its port forever");
  port_squatter(false);
}
