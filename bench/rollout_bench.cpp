// A rolling reload of N bundled gateways (docs/supervisor.md#rolling-reload): every profile's
// entry changed, `reload --rolling --wait` timed from the request to its final reply, against a
// plain reload of the same change (all at once) timed until every profile is `running` again.
// Per step of the rollout: from its `replacing` event to its `replaced` one. Prints a Markdown
// table (docs/benchmarks.md).
//
// A Catch program, as the tests' fixture it starts the fleet with asserts through Catch:
//   ROLLOUT_BENCH_GATEWAYS=10 ROLLOUT_BENCH_ROUNDS=3 rollout_bench
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "../tests/integration/control_fixture.h"
#include "latency_summary.h"

using namespace moltbot::test;
using moltbot::bench::summarize;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point from) { return std::chrono::duration<double, std::milli>(Clock::now() - from).count(); }

int setting(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value ? std::atoi(value) : fallback;
}

// Each round changes every entry: the stop timeout alternates.
Profiles fleet_of(int gateways, int round) {
  Profiles profiles;
  const std::map<std::string, std::string> stop{{"stop", fmt::format("{{signal: SIGTERM, timeout: {}s}}", 2 + round % 2)}};
  for (int i = 0; i < gateways; ++i)
    profiles[fmt::format("p{:02}", i)] = i == gateways - 1 ? rescue_profile({}, stop) : main_profile({}, stop);
  return profiles;
}

bool all_running(SupervisorFixture& fleet, const Profiles& profiles) {
  for (const auto& [name, options] : profiles)
    if (!fleet.wait_status(name, [](const nlohmann::json& entry) { return entry["state"] == "running"; }, 120s))
      return false;
  return true;
}

// The durations of each step: `replacing profile X` to `profile X replaced` in the progress lines.
std::vector<double> step_durations(const std::string& progress) {
  std::vector<double> steps;
  std::istringstream lines(progress);
  std::optional<double> replacing;
  for (std::string line; std::getline(lines, line);) {
    auto message = nlohmann::json::parse(line, nullptr, false);
    if (!message.contains("progress") || message["progress"]["kind"] != "rollout") continue;
    const auto text = message["progress"]["message"].get<std::string>();
    // Only the milliseconds of the day matter within one rollout.
    const auto time = message["progress"]["time"].get<std::string>();
    const double at = std::stod(time.substr(11, 2)) * 3.6e6 + std::stod(time.substr(14, 2)) * 6e4 +
                      std::stod(time.substr(17, 6)) * 1e3;
    if (text.find("replacing profile") != std::string::npos) replacing = at;
    else if (text.find(" replaced and ") != std::string::npos && replacing) steps.push_back(at - *replacing);
  }
  return steps;
}

}  // namespace

TEST_CASE("rolling reload") {
  const int gateways = setting("ROLLOUT_BENCH_GATEWAYS", 10);
  const int rounds = setting("ROLLOUT_BENCH_ROUNDS", 3);
  SupervisorFixture fleet(fleet_of(gateways, 0));
  fleet.start_supervisor();
  REQUIRE(all_running(fleet, fleet_of(gateways, 0)));
  REQUIRE(wait_control_socket(fleet));
  std::vector<double> rolling, at_once, steps;
  for (int round = 1; round <= rounds * 2; ++round) {
    const auto profiles = fleet_of(gateways, round);
    fleet.write_manifest(profiles);
    const auto started = Clock::now();
    if (round % 2 == 1) {
      auto rolled = supervisorctl(fleet, {"--json", "reload", "--rolling", "--wait"}, 600s);
      REQUIRE(rolled.exit_code == 0);
      rolling.push_back(ms_since(started));
      for (double step : step_durations(rolled.out)) steps.push_back(step);
    } else {
      REQUIRE(supervisorctl(fleet, {"reload"}).exit_code == 0);
      REQUIRE(all_running(fleet, profiles));
      at_once.push_back(ms_since(started));
    }
  }
  const auto roll = summarize(rolling);
  const auto once = summarize(at_once);
  const auto step = summarize(steps);
  fmt::print("## Rolling reload of {} gateways (every entry changed), {} rounds each\n\n", gateways, rounds);
  fmt::print("| reload | p50 | max |\n|---|---:|---:|\n");
  fmt::print("| `reload --rolling --wait`, to its final reply | {:.0f} ms | {:.0f} ms |\n", roll.p50, roll.max);
  fmt::print("| one step (old gateway stopped, new one started and healthy) | {:.0f} ms | {:.0f} ms |\n", step.p50,
             step.max);
  fmt::print("| plain `reload`, until every profile is running again | {:.0f} ms | {:.0f} ms |\n", once.p50, once.max);
}
