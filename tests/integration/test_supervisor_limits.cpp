// A profile's limits (docs/manifest.md, "Limits"): nofile and oom_score_adj read back from /proc
// of its gateway and of the helpers it starts; a rescue profile below main by default; what this
// host cannot enforce said by check, doctor and the logs; and, where the profiles' cgroups have the
// memory controller, a memory hog in main OOM-killed and restarted while rescue keeps its pid.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "moltbot/test/run_process.h"
#include "moltbot/test/temp_dir.h"
#include "moltbot/test/wait_until.h"
#include "supervisor_fixture.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

std::string proc_text(pid_t pid, const char* file) { return read_file("/proc/" + std::to_string(pid) + "/" + file); }

int oom_score_adj(pid_t pid) { return std::atoi(proc_text(pid, "oom_score_adj").c_str()); }

// "Max open files  4096  4096  files" of /proc/PID/limits: soft and hard.
std::pair<long, long> open_files_limit(pid_t pid) {
  std::istringstream lines(proc_text(pid, "limits"));
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("Max open files")) {
      std::istringstream words(line.substr(14));
      long soft = 0, hard = 0;
      words >> soft >> hard;
      return {soft, hard};
    }
  return {0, 0};
}

// CAP_SYS_RESOURCE in the test's (and so the supervisor's) effective set.
bool may_override_limits() {
  const auto status = proc_text(::getpid(), "status");
  const auto line = status.find("\nCapEff:");
  return line != std::string::npos && ((std::strtoull(status.c_str() + line + 8, nullptr, 16) >> 24) & 1);
}

// The controllers of the cgroup v2 hierarchy this test is in (its cgroup.controllers), or "".
std::string own_cgroup_controllers() {
  const auto text = proc_text(::getpid(), "cgroup");
  const auto line = text.find("0::");
  if (line == std::string::npos) return "";
  const auto path = text.substr(line + 3, text.find('\n', line) - line - 3);
  for (const char* mount : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    std::ifstream type(std::string(mount) + "/cgroup.controllers");
    if (!type) continue;
    return read_file(std::string(mount) + path + "/cgroup.controllers");
  }
  return "";
}

}  // namespace

TEST_CASE("nofile and oom_score_adj are the gateway's, and its helpers'") {
  SupervisorFixture fleet(
      Profiles{{"main", main_profile("double_fork_helpers=1", {{"limits", "{nofile: 4096, oom_score_adj: 300}"}})},
               {"rescue", rescue_profile()}});
  // The rescue profile sets nothing: it goes 100 below main, which needs no privilege here.
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(main_pid > 0);
  REQUIRE(rescue_pid > 0);
  std::vector<pid_t> helpers;
  REQUIRE(wait_until([&] { return !(helpers = fleet.detached_helpers("main")).empty(); }, 10s));
  for (pid_t helper : helpers) fleet.track(helper);

  CHECK(open_files_limit(main_pid) == std::pair<long, long>{4096, 4096});
  CHECK(oom_score_adj(main_pid) == 300);
  CHECK(open_files_limit(helpers[0]) == std::pair<long, long>{4096, 4096});
  CHECK(oom_score_adj(helpers[0]) == 300);
  CHECK(oom_score_adj(rescue_pid) == 200);
  CHECK(oom_score_adj(fleet.supervisor().pid()) == 0);  // the supervisor keeps its own

  // A restart applies them again.
  REQUIRE(::kill(main_pid, SIGKILL) == 0);
  REQUIRE(fleet.wait_status("main", [&](const auto& s) { return s["state"] == "running" && s["pid"] != main_pid; }));
  const pid_t restarted = fleet.status("main")["pid"].get<pid_t>();
  CHECK(oom_score_adj(restarted) == 300);
  CHECK(open_files_limit(restarted).first == 4096);
}

TEST_CASE("a rescue profile is below main by default, with or without CAP_SYS_RESOURCE") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(main_pid > 0);
  REQUIRE(rescue_pid > 0);
  // Main goes 100 up rather than rescue 100 down: raising needs no privilege (this container's
  // root has no CAP_SYS_RESOURCE), so nothing is left unenforced.
  REQUIRE(oom_score_adj(fleet.supervisor().pid()) == 0);
  CHECK(oom_score_adj(main_pid) == 100);
  CHECK(oom_score_adj(rescue_pid) == 0);
  CHECK_THAT(fleet.supervisor().err(), !Contains("not enforced"));
}

TEST_CASE("nofile above the supervisor's hard limit fails the start with the reason") {
  if (may_override_limits()) {
    WARN("SKIPPED: the supervisor has CAP_SYS_RESOURCE here and may raise its hard limit");
    return;
  }
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"limits", "{nofile: 1073741816}"}})}});
  fleet.start_supervisor();
  CHECK(fleet.wait_status("main", [](const auto& s) {
    return s["reason"].template get<std::string>().find(
               "cannot set the open files limit (limits.nofile) to 1073741816: Operation not permitted") !=
           std::string::npos;
  }));
}

TEST_CASE("check and doctor say which limits this host cannot enforce, and why") {
  if (own_cgroup_controllers().find("memory") != std::string::npos) {
    WARN("SKIPPED: this host's cgroup v2 hierarchy has the memory controller: limits.memory can be enforced");
    return;
  }
  TempDir dir("moltbot-limits-check");
  const auto manifest = dir.write("fleet.yaml", R"(version: 1
supervisor: {socket: ./s.sock, log_dir: ./logs}
profiles:
  main:
    port: 18789
    limits: {memory: 1G, nofile: 4096}
)");
  ProcessRun run{
      {MOLTBOT_SUPERVISORD_BIN, "check", manifest.string()}, {{"PATH", "/usr/bin:/bin"}}, dir.path().string()};
  auto check = run_process(run);
  CHECK(check.exit_code == 0);  // a warning: the fleet still runs
  CHECK_THAT(check.out, Contains(manifest.string() + ":6:22: warning[limit-not-enforced]: profile \"main\": field "
                                                     "\"limits.memory\": not enforced on this host: "));
  CHECK_THAT(check.out, !Contains("limits.nofile"));
  run.argv = {MOLTBOT_SUPERVISORD_BIN, "doctor", manifest.string()};
  auto doctor = run_process(run);
  CHECK_THAT(doctor.out, Contains("limits: 1 cannot be enforced here") && Contains("limits.memory"));
}

TEST_CASE("a memory hog in main is OOM-killed and restarted, and rescue keeps its pid") {
  if (own_cgroup_controllers().find("memory") == std::string::npos) {
    WARN("SKIPPED: no cgroup v2 hierarchy with the memory controller here (" +
         std::string(own_cgroup_controllers().empty() ? "none" : "only: " + own_cgroup_controllers()) +
         "); memory.max needs one, e.g. a systemd host with Delegate=yes");
    return;
  }
  // main: a process that grows without end, in a cgroup of 64 MiB; no health check to pass.
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"command", "[/bin/sh, -c, \"exec tail /dev/zero\"]"},
                                                              {"health", "{type: none}"},
                                                              {"limits", "{memory: 64M}"}})},
                                   {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(rescue_pid > 0);
  CHECK(fleet.wait_status(
      "main", [](const auto& s) { return s["restarts"].template get<int>() >= 1; }, 60s));
  CHECK_THAT(fleet.profile_log("main"), Contains("SIGKILL"));
  CHECK(fleet.status("rescue")["pid"] == rescue_pid);
}
