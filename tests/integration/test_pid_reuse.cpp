// A stray's pid recycled by an unrelated process is never signalled (docs/supervisor.md, "Process
// tracking"), with a cgroup per profile and without. pid_max is 32768 here and pids come back
// soon; this test decides which pid a process gets instead of waiting for chance: it runs as pid
// 1 of a pid namespace of its own, where only it and what it starts take pids, and writes
// /proc/sys/kernel/ns_last_pid right before it starts the unrelated process. Needs root (exits 77,
// shown by ctest as skipped, otherwise).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

#include "moltbot/runtime/proc_info.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/wait_until.h"
#include "supervisor_fixture.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using moltbot::runtime::ProcessId;

namespace {

constexpr int skip_status = 77;  // SKIP_RETURN_CODE in tests/CMakeLists.txt

// A sleeper in a process group of its own that gets `pid`, which must be free: the namespace hands
// out ns_last_pid + 1 next.
std::unique_ptr<ChildProcess> unrelated_process(const SupervisorFixture& fleet, pid_t pid) {
  ChildOptions options;
  options.argv = {"/bin/sleep", "1000"};
  options.env = {{"PATH", "/usr/bin:/bin"}};
  options.output_dir = fleet.dir.path();
  options.name = "unrelated-" + std::to_string(pid);
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::ofstream("/proc/sys/kernel/ns_last_pid") << pid - 1;
    auto process = std::make_unique<ChildProcess>(options);
    if (process->pid() == pid) return process;
  }
  return nullptr;
}

ProcessId identity(pid_t pid) {
  auto stat = moltbot::runtime::read_proc_stat(pid);
  return {pid, stat ? stat->start_time : 0};
}

// Known to the supervisor: in the profile's cgroup, or recorded for the next supervisor.
bool tracked(const SupervisorFixture& fleet, bool cgroups, pid_t pid) {
  if (cgroups)
    return read_file("/proc/" + std::to_string(pid) + "/cgroup").find("/profile-main\n") != std::string::npos;
  const auto record = "\n" + read_file(fleet.dir.path() / "main/state/supervisor.children");
  return record.find("\n" + std::to_string(pid) + " ") != std::string::npos;
}

// This test is pid 1 of its namespace: orphans whose subreaper died come to it.
bool reaped(pid_t pid) {
  return wait_until([&] { return ::waitpid(pid, nullptr, WNOHANG) == pid; }, 5s);
}

}  // namespace

TEST_CASE("a pid recycled by an unrelated process is never signalled") {
  const bool cgroups = GENERATE(true, false);
  SupervisorLaunch launch;
  if (!cgroups) launch.env["MOLTBOT_SUPERVISOR_CGROUP"] = "off";
  // Two helpers deaf to SIGTERM: one in its own session (a descendant), one detached like
  // `setsid -f` (an orphan at once). Leftovers deaf to the stop signal keep a stop waiting for
  // stop.timeout, the time in which the test recycles pids.
  SupervisorFixture fleet(Profiles{{"main", main_profile("spawn_helper,double_fork_helpers=1,ignore_sigterm",
                                                        {{"stop", "{signal: SIGTERM, timeout: 4s}"}})}});
  DYNAMIC_SECTION((cgroups ? "with a cgroup per profile" : "without cgroups")) {
    fleet.start_supervisor(launch);
    const pid_t gateway = fleet.running_pid("main");
    REQUIRE(gateway > 0);
    auto status = fleet.gateway_status("main");
    const pid_t helper = status["helper_pid"];
    const pid_t detached = status["detached_helper_pids"][0];
    REQUIRE(wait_until([&] { return tracked(fleet, cgroups, helper) && tracked(fleet, cgroups, detached); }, 5s));
    REQUIRE(wait_until([&] { return ignores_signal(helper, SIGTERM) && ignores_signal(detached, SIGTERM); }, 5s));

    // The gateway dies; its leftovers are stopped, ignore SIGTERM, and get SIGKILL after 4 s. Meanwhile
    // the gateway's pid (its process group's id) and a dead stray's pid go to unrelated processes.
    REQUIRE(::kill(gateway, SIGKILL) == 0);
    const bool stopping = fleet.wait_status("main", [](const nlohmann::json& s) {
      return s["state"] == "stopping" && s["reason"].get<std::string>().find("leftover") != std::string::npos;
    });
    INFO("status: " << fleet.status("main").dump() << "\nsupervisor: " << fleet.supervisor().err());
    REQUIRE(stopping);
    REQUIRE(::kill(detached, SIGKILL) == 0);
    REQUIRE(wait_until([&] { return !std::filesystem::exists("/proc/" + std::to_string(detached)); }, 5s));
    auto group_heir = unrelated_process(fleet, gateway);
    auto stray_heir = unrelated_process(fleet, detached);
    REQUIRE(group_heir);
    REQUIRE(stray_heir);
    const auto group_heir_id = identity(gateway);
    const auto stray_heir_id = identity(detached);

    const pid_t second = fleet.wait_status("main", [&](const nlohmann::json& s) {
      return s["state"] == "running" && s["pid"] != gateway;
    }) ? fleet.status("main")["pid"].get<pid_t>() : 0;
    REQUIRE(second > 0);
    CHECK(wait_until([&] { return !process_alive(helper); }, 5s));  // the leftover got its SIGKILL
    CHECK(group_heir->running());
    CHECK(stray_heir->running());
    CHECK(moltbot::runtime::is_alive(group_heir_id));
    CHECK(moltbot::runtime::is_alive(stray_heir_id));

    // A killed supervisor's leftovers, ended by the next one: a recorded stray whose pid went to
    // another process meanwhile is not among them.
    status = fleet.gateway_status("main");
    const pid_t helper2 = status["helper_pid"];
    const pid_t detached2 = status["detached_helper_pids"][0];
    REQUIRE(wait_until([&] { return tracked(fleet, cgroups, helper2) && tracked(fleet, cgroups, detached2); }, 5s));
    REQUIRE(wait_until([&] { return ignores_signal(helper2, SIGTERM); }, 5s));
    auto& first_supervisor = fleet.supervisor();
    first_supervisor.signal(SIGKILL);
    REQUIRE(first_supervisor.wait_for_exit(5s));
    REQUIRE(reaped(second));  // killed with its supervisor (PR_SET_PDEATHSIG)
    REQUIRE(::kill(detached2, SIGKILL) == 0);
    REQUIRE(reaped(detached2));
    auto record_heir = unrelated_process(fleet, detached2);
    auto gateway_heir = unrelated_process(fleet, second);
    REQUIRE(record_heir);
    REQUIRE(gateway_heir);

    auto& next_supervisor = fleet.start_supervisor(launch);
    REQUIRE(fleet.running_pid("main") > 0);
    CHECK_FALSE(process_alive(helper2));
    reaped(helper2);
    CHECK_THAT(next_supervisor.err(), Catch::Contains("killed pid " + std::to_string(helper2)));
    CHECK(record_heir->running());
    CHECK(gateway_heir->running());
    fleet.gateway_status("main");  // tracks the new helpers for teardown
  }
}

int main(int argc, char** argv) {
  if (::geteuid() != 0) {
    std::puts("skipped: choosing pids through ns_last_pid in a pid namespace needs root");
    return skip_status;
  }
  if (::unshare(CLONE_NEWPID | CLONE_NEWNS) != 0) {
    std::printf("skipped: unshare(CLONE_NEWPID | CLONE_NEWNS): %s\n", std::strerror(errno));
    return skip_status;
  }
  const pid_t init = ::fork();
  if (init < 0) return 1;
  if (init == 0) {
    // pid 1 of the new namespace, with a /proc that shows it (the supervisor reads /proc).
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      std::printf("skipped: cannot mount /proc for the pid namespace: %s\n", std::strerror(errno));
      ::_exit(skip_status);
    }
    // Everything left in the namespace dies with its pid 1.
    std::exit(Catch::Session().run(argc, argv));
  }
  int status = 0;
  while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {
  }
  // Without exit handlers: this process can create no more processes (its children's pid
  // namespace died with its pid 1), and LeakSanitizer's exit check needs to.
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}
