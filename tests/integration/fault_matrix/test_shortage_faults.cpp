// Fault matrix, the supervisor's own resources running out: its descriptors (a low `ulimit -n`, a
// limit lowered under a running fleet with idle clients), its processes (a cgroup's pids.max), and
// the file system of its status file (full, read-only). None of it may cost a gateway anything.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "../control_fixture.h"
#include "fault_fleet.h"
#include "fault_table.h"
#include "moltbot/test/process_limits.h"
#include "moltbot/test/wait_until.h"
#include "scoped_mount.h"

using namespace moltbot::test;
using namespace moltbot::test::fault_matrix;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

// The lowest descriptor number `pid` does not use: with its soft limit set there, it has none free.
int first_free_descriptor(pid_t pid) {
  std::set<int> used;
  for (const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    used.insert(std::stoi(entry.path().filename().string()));
  int free = 0;
  while (used.contains(free)) ++free;
  return free;
}

void set_soft_descriptor_limit(pid_t pid, rlim_t soft) {
  rlimit limit{};
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, nullptr, &limit) == 0);
  limit.rlim_cur = soft;
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &limit, nullptr) == 0);
}

// What each client got while it waited: the code of an error line, "closed", or "nothing".
std::map<std::string, int> client_outcomes(std::vector<std::unique_ptr<RawConnection>>& clients) {
  std::map<std::string, int> outcomes;
  for (auto& client : clients) {
    auto line = client->read_line(50ms);
    if (line && line->contains("error"))
      ++outcomes[(*line)["error"]["code"].get<std::string>()];
    else if (line)
      ++outcomes["reply"];
    else
      ++outcomes[client->closed_by_server(0ms) ? "closed" : "nothing"];
  }
  return outcomes;
}

std::string describe(const std::map<std::string, int>& outcomes) {
  std::string text;
  for (const auto& [what, count] : outcomes) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", count, what);
  return text;
}

// The status file under a fault of its folder's file system, once the fleet runs: a tmpfs filled
// up, or a read-only bind mount. The last good file stays as it was, the supervisor says so once
// (`error_text`) and writes the file again once it can.
void status_file_under(ScopedMount::Kind kind, const std::string& error_text) {
  FaultFleet fleet;
  const auto status_dir = fleet.fixture.dir.path() / "status";
  fs::create_directories(status_dir);
  std::optional<ScopedMount> tmpfs;
  if (kind == ScopedMount::Kind::tmpfs) tmpfs.emplace(ScopedMount::Kind::tmpfs, status_dir, 1 << 20);
  SupervisorLaunch launch;
  launch.status_file = status_dir / "status.json";
  auto& supervisor = fleet.start({}, launch);
  const auto path = *launch.status_file;

  std::optional<ScopedMount> read_only;
  if (kind == ScopedMount::Kind::tmpfs)
    fill_up(status_dir);
  else
    read_only.emplace(ScopedMount::Kind::read_only, status_dir);
  const std::string last_good = read_file(path);
  REQUIRE(nlohmann::json::parse(last_good, nullptr, false).size() == 5);

  // Two restarts: events that each want the file rewritten.
  for (const auto& name : {"beta", "gamma"}) {
    REQUIRE(fleet.request("restart", {{"target", name}})["ok"] == true);
    REQUIRE(fleet.wait_new_pid(name, fleet.pid_at_start(name)) > 0);
  }
  const std::string warning = "status file " + path.string() + ".tmp: " + error_text;
  REQUIRE(wait_until([&] { return supervisor.err().find(warning) != std::string::npos; }, 5s));
  observe(fmt::format("supervisor log: \"...{}; the status file keeps its last good content...\"", warning));
  CHECK(read_file(path) == last_good);
  CHECK_FALSE(fs::exists(path.string() + ".tmp"));
  CHECK(nlohmann::json::parse(read_file(path), nullptr, false).size() == 5);
  // Retried every second, said once.
  CHECK_FALSE(wait_until([&] { return occurrences(supervisor.err(), warning) > 1; }, 2500ms));
  observe(fmt::format("after 2 restarts and 2.5 s of retries: the file unchanged ({} bytes, valid JSON), no temp file "
                      "left, the warning written {} time(s)",
                      last_good.size(), occurrences(supervisor.err(), warning)));

  if (tmpfs) fs::remove(status_dir / "filler");
  if (read_only) read_only->remove();
  const auto repaired = Clock::now();
  const pid_t beta = fleet.status("beta")["pid"].get<pid_t>();
  REQUIRE(fleet.fixture.wait_status("beta", [&](const nlohmann::json& entry) { return entry["pid"] == beta; }, 5s));
  // The line follows the rename, so the file can show the new pid a moment before it is read.
  const std::string written_again = "status file " + path.string() + " is written again";
  CHECK(wait_until([&] { return supervisor.err().find(written_again) != std::string::npos; }, 5s));
  observe(fmt::format("repaired: the file shows beta's new pid after {} ms", ms_since(repaired)));
  fleet.check_untouched({"beta", "gamma"});
}

}  // namespace

TEST_CASE("the supervisor at ulimit -n 64 with 20 profiles and 60 idle clients") {
  expect("moltbot-supervisord under `ulimit -n 64` (soft and hard: nothing to raise) runs 20 profiles; 60 clients "
         "connect and stay idle for 10 s: every gateway keeps its pid, 0 restarts, never reported failing; the "
         "supervisor names its shortage and blames no gateway; once the clients leave, `status` is answered; a "
         "gateway killed with -9 is restarted (the descriptor reserve)");
  Profiles profiles;
  for (int i = 0; i < 20; ++i) profiles[fmt::format("p{:02}", i)] = i == 0 ? rescue_profile() : main_profile();
  SupervisorFixture fixture(profiles);
  SupervisorLaunch launch;
  launch.open_files = 64;
  auto& supervisor = fixture.start_supervisor(launch);
  std::map<std::string, pid_t> pids;
  for (const auto& [name, options] : profiles) {
    pids[name] = fixture.running_pid(name);
    INFO(name << " is not running; supervisor log:\n" << supervisor.err());
    REQUIRE(pids[name] > 0);
  }
  rlimit limit{};
  REQUIRE(::prlimit(supervisor.pid(), RLIMIT_NOFILE, nullptr, &limit) == 0);
  CHECK(limit.rlim_cur == 64);
  CHECK(limit.rlim_max == 64);
  CHECK_THAT(supervisor.err(), Catch::Contains("open files limit: 64 (the hard limit)"));
  observe("20 profiles running under a limit of 64 descriptors");

  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 60; ++i) {
    clients.push_back(std::make_unique<RawConnection>(fixture.control_socket().string()));
    REQUIRE(clients.back()->connected());
  }
  // 10 s of probes every 200 ms: about 50 per profile, with every descriptor spoken for.
  const bool disturbed = wait_until(
      [&] {
        for (const auto& [name, pid] : pids) {
          auto entry = fixture.status(name);
          if (entry.is_null() || entry["state"] != "running" || entry["pid"] != pid || entry["restarts"] != 0)
            return true;
        }
        return false;
      },
      10s, 100ms);
  CHECK_FALSE(disturbed);
  int own_pid = 0;
  for (const auto& [name, pid] : pids)
    if (gateway_pid(fixture.ports.at(name)) == pid) ++own_pid;
  CHECK(own_pid == 20);
  const auto err = supervisor.err();
  CHECK(err.find("health check failed") == std::string::npos);
  CHECK(err.find("-> unhealthy") == std::string::npos);
  CHECK(err.find("-> stopping") == std::string::npos);
  observe(fmt::format("after 10 s with 60 idle clients: {} of 20 gateways on their first pid (their own /status), "
                      "0 restarts, none reported unhealthy; the clients: {}",
                      own_pid, describe(client_outcomes(clients))));
  CHECK_THAT(err, Catch::Contains("the supervisor is short of its own resources") &&
                      Catch::Contains("no gateway is blamed for it"));
  observe(fmt::format("supervisor log: {} shortage warning(s) (\"the supervisor is short of its own resources: "
                      "...; no gateway is blamed for it\"), {} of them shedding something",
                      occurrences(err, "short of its own resources"), occurrences(err, "; shed: ") -
                                                                          occurrences(err, "; shed: nothing")));

  // The clients that were never accepted stay in the listen queue, closed, ahead of this one: it
  // waits its turn (each turn needs room to spare), so one patient attempt rather than many.
  clients.clear();
  const auto left = Clock::now();
  {
    const auto status = supervisorctl(fixture, {"status"}, 60s);
    INFO("supervisorctl status: " << status.err << "\nthe supervisor's log:\n" << supervisor.err());
    CHECK(status.exit_code == 0);
  }
  observe(fmt::format("clients gone: `supervisorctl status` answered after {} ms", ms_since(left)));

  REQUIRE(::kill(pids["p07"], SIGKILL) == 0);
  REQUIRE(fixture.wait_status("p07", [&](const nlohmann::json& entry) {
    return entry["state"] == "running" && entry["pid"] != pids["p07"];
  }));
  INFO("the supervisor's log:\n" << supervisor.err());
  CHECK(fixture.status("p07")["restarts"] == 1);
  for (const auto& [name, pid] : pids)
    if (name != "p07") CHECK(fixture.status(name)["pid"] == pid);
  observe(fmt::format("p07 killed with -9: running again as pid {}, restarts 1; the 19 others untouched",
                      fixture.status("p07")["pid"].get<pid_t>()));
}

TEST_CASE("the supervisor's descriptors run out while idle clients hold them") {
  expect("40 idle control connections open, then the supervisor's soft RLIMIT_NOFILE lowered to what it uses (no "
         "descriptor free): its probes find none, it sheds idle connections (each told `shed`) and retries; no "
         "gateway is restarted or reported failing; the limit back: new clients are served");
  FaultFleet fleet;
  auto& supervisor = fleet.start();
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 40; ++i) {
    clients.push_back(std::make_unique<RawConnection>(fleet.fixture.control_socket().string()));
    clients.back()->send(request_line("version"));
    REQUIRE(clients.back()->read_line());  // accepted and answered: an idle session now
  }
  rlimit before{};
  REQUIRE(::prlimit(supervisor.pid(), RLIMIT_NOFILE, nullptr, &before) == 0);
  set_soft_descriptor_limit(supervisor.pid(), static_cast<rlim_t>(first_free_descriptor(supervisor.pid())));

  REQUIRE(wait_until([&] { return supervisor.err().find("control connection(s)") != std::string::npos; }, 10s));
  const auto outcomes = client_outcomes(clients);
  observe("40 idle clients: " + describe(outcomes));
  CHECK((outcomes.contains("shed") ? outcomes.at("shed") : 0) >= 12);
  const auto err = supervisor.err();
  const auto at = err.find("the supervisor is short of its own resources");
  REQUIRE(at != std::string::npos);
  observe("supervisor log: \"" + err.substr(at, err.find('\n', at) - at) + "\"");
  // A few seconds of probes with the limit still down.
  CHECK_FALSE(wait_until([&] { return supervisor.err().find("health check failed") != std::string::npos; }, 3s));
  fleet.check_untouched({});

  set_soft_descriptor_limit(supervisor.pid(), before.rlim_cur);
  CHECK(wait_until([&] { return supervisorctl(fleet.fixture, {"status"}, 5s).exit_code == 0; }, 10s, 200ms));
  observe("limit restored: `supervisorctl status` answered");
}

TEST_CASE("the supervisor cannot start processes") {
  expect("the supervisor's own cgroup (pids) allows no new process, then beta is killed with -9: beta waits, "
         "`starting` with the reason (the supervisor's shortage, Resource temporarily unavailable), its restart "
         "budget (max_restarts 1) untouched by the retries, never fatal; processes allowed again: beta runs, "
         "restarts 1 (the kill); the 4 others untouched");
  if (auto reason = NoMoreProcesses::unavailable()) {
    skip(*reason);
    return;
  }
  FaultFleet fleet({{"beta", main_profile({}, {{"restart", "{policy: always, backoff: {initial: 50ms, max: 200ms, "
                                                           "factor: 2}, reset_after: 30s, max_restarts: 1, window: 1m}"}})}});
  auto& supervisor = fleet.start();
  NoMoreProcesses capped(supervisor.pid());
  REQUIRE(::kill(fleet.pid_at_start("beta"), SIGKILL) == 0);
  const bool waiting_for_resources = fleet.wait("beta", [](const json& entry) {
    return entry["reason"].get<std::string>().find("short of its own resources") != std::string::npos;
  });
  INFO("supervisor log:\n" << supervisor.err());
  REQUIRE(waiting_for_resources);
  observe("reason: \"" + fleet.status("beta")["reason"].get<std::string>() + "\"");
  // Retried many times over 3 s (at most 5 s apart), never counted.
  CHECK_FALSE(fleet.wait("beta", [](const json& entry) { return entry["state"] != "starting"; }, 3s));
  auto waiting = fleet.status("beta");
  CHECK(waiting["state"] == "starting");
  CHECK_THAT(waiting["reason"].get<std::string>(),
             Catch::Contains("not counted as a restart: cannot start a process: Resource temporarily unavailable"));
  CHECK(waiting["pid"].is_null());
  CHECK(waiting["restarts"] == 1);
  CHECK_THAT(supervisor.err(), Catch::Contains("the supervisor is short of its own resources: starting profile beta: "
                                               "cannot start a process: Resource temporarily unavailable"));

  capped.lift();
  const auto lifted = Clock::now();
  const pid_t new_pid = fleet.wait_new_pid("beta", 0, 10s);
  REQUIRE(new_pid > 0);
  observe(fmt::format("processes allowed again: beta running as pid {} after {} ms, restarts {}", new_pid,
                      ms_since(lifted), fleet.status("beta")["restarts"].get<int>()));
  CHECK(fleet.status("beta")["restarts"] == 1);
  fleet.check_untouched({"beta"});
}

TEST_CASE("the status file on a full file system") {
  expect("the status file's folder (a 1 MiB tmpfs) filled up, then beta and gamma restarted: the file keeps its last "
         "good content byte for byte (no truncated or partial file, no temp file left), the supervisor says so once "
         "and retries every second; space freed: the file is written again within a second or so");
  if (auto reason = mounts_unavailable()) {
    skip(*reason);
    return;
  }
  status_file_under(ScopedMount::Kind::tmpfs, "No space left on device");
}

TEST_CASE("the status file's folder made read-only") {
  expect("the status file's folder made read-only (a read-only bind mount), then beta and gamma restarted: the file "
         "keeps its last good content, the supervisor says so once; writable again: the file is written again");
  if (auto reason = mounts_unavailable()) {
    skip(*reason);
    return;
  }
  status_file_under(ScopedMount::Kind::read_only, "Read-only file system");
}
