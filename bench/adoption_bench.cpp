// Adoption after a crash (docs/supervisor.md) with N bundled gateways: the supervisor is killed
// with -9 under an emulated service manager with a descriptor store, and a new one is started
// with what the store kept. Per round: how long until the new supervisor answers on its control
// socket, and until every gateway is adopted (`running` again with the pid it had); gateways
// kept and restarts over all rounds. Prints a Markdown table (docs/benchmarks.md).
//
// A Catch program, as the tests' fixture it starts the fleet with asserts through Catch:
//   ADOPTION_BENCH_GATEWAYS=50 ADOPTION_BENCH_ROUNDS=5 adoption_bench
// The fixture places each profile's 111-port block at random below 32768, which finds room for
// about 60 blocks at most; supervisor_bench packs blocks for its fleets of 100 and more.
#include <signal.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>

#include "../tests/integration/control_fixture.h"
#include "../tests/integration/service_manager.h"
#include "latency_summary.h"

using namespace moltbot::test;
using moltbot::bench::summarize;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

std::map<std::string, pid_t> running_pids(SupervisorFixture& fleet, const Profiles& profiles) {
  std::map<std::string, pid_t> pids;
  for (const auto& [name, options] : profiles) pids[name] = fleet.running_pid(name);
  return pids;
}

int setting(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value ? std::atoi(value) : fallback;
}

}  // namespace

TEST_CASE("adoption after a crash") {
  const int gateways = setting("ADOPTION_BENCH_GATEWAYS", 50);
  const int rounds = setting("ADOPTION_BENCH_ROUNDS", 5);
  Profiles profiles;
  for (int i = 0; i < gateways; ++i) profiles[fmt::format("p{:03}", i)] = i == 0 ? rescue_profile() : main_profile();
  SupervisorFixture fleet(profiles);
  EmulatedServiceManager manager(fleet);
  manager.start();
  running_pids(fleet, profiles);
  std::vector<double> to_socket, to_all;
  int kept = 0, restarts = 0;
  for (int round = 0; round < rounds; ++round) {
    const auto before = running_pids(fleet, profiles);
    fleet.supervisor().signal(SIGKILL);
    REQUIRE(fleet.supervisor().wait_for_exit(5s));
    const auto started = Clock::now();
    manager.start();
    RawConnection client(fleet.control_socket().string());  // queued on the listener the store kept
    client.send(request_line("version"));
    REQUIRE(client.read_line(30s));
    to_socket.push_back(ms_between(started, Clock::now()));
    for (const auto& [name, pid] : before)
      REQUIRE(fleet.wait_status(name, [&](const nlohmann::json& entry) { return entry["state"] == "running"; }, 120s));
    to_all.push_back(ms_between(started, Clock::now()));
    for (const auto& [name, pid] : before) {
      const auto entry = fleet.status(name);
      if (entry["pid"] == pid) ++kept;
      restarts += entry["restarts"].get<int>();
    }
  }
  const auto socket = summarize(to_socket);
  const auto all = summarize(to_all);
  fmt::print("## Adoption after a crash, {} gateways, {} rounds\n\n", gateways, rounds);
  fmt::print("| measure (from the new supervisor's start) | p50 | max |\n|---|---:|---:|\n");
  fmt::print("| first control request answered | {:.1f} ms | {:.1f} ms |\n", socket.p50, socket.max);
  fmt::print("| every gateway adopted and `running` | {:.1f} ms | {:.1f} ms |\n\n", all.p50, all.max);
  fmt::print("gateways adopted with their pid: {} of {}; restarts: {}\n", kept, gateways * rounds, restarts);
}
