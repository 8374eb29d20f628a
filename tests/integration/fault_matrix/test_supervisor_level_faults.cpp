// Fault matrix, faults of the supervisor itself: killed with -9 and started again, reloaded 20
// times in a row under load, flooded with control requests while children crash.
#include <signal.h>

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>

#include "../control_fixture.h"
#include "../service_manager.h"
#include "background_load.h"
#include "fault_fleet.h"
#include "fault_table.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace moltbot::test::fault_matrix;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// The fleet's processes that are not descendants of its supervisor `supervisor`.
std::vector<pid_t> orphans(const FaultFleet& fleet, pid_t supervisor) {
  std::vector<pid_t> family{supervisor};
  for (const auto& descendant : moltbot::runtime::descendants_of(supervisor)) family.push_back(descendant.pid);
  std::vector<pid_t> strays;
  for (pid_t pid : fleet.processes())
    if (std::find(family.begin(), family.end(), pid) == family.end()) strays.push_back(pid);
  return strays;
}

// The gateway processes (helpers aside) of `profile` among the fleet's processes.
std::vector<pid_t> gateways_of(const FaultFleet& fleet, const std::string& profile) {
  std::vector<pid_t> gateways;
  for (pid_t pid : fleet.processes()) {
    auto command = command_line(pid);
    if (command.find("--profile " + profile + " ") != std::string::npos && command.find("--helper") == std::string::npos)
      gateways.push_back(pid);
  }
  return gateways;
}

std::string describe(const std::vector<pid_t>& pids) {
  std::string text;
  for (pid_t pid : pids) text += (text.empty() ? "" : ", ") + fmt::format("{} ({})", pid, command_line(pid));
  return text.empty() ? "none" : text;
}

}  // namespace

TEST_CASE("SIGKILL of the supervisor and restart") {
  expect("kill -9 of the supervisor, then a new one on the same manifest: every profile runs again with restarts 0, "
         "exactly one gateway per profile (the one on its port), nothing of the old fleet left (gamma's helper in "
         "its own session included), every process of the fleet under the new supervisor");
  FaultFleet fleet({{"gamma", main_profile("spawn_helper")}});
  auto& first = fleet.start();
  auto gamma_status = fleet.fixture.gateway_status("gamma");
  REQUIRE(gamma_status.contains("helper_pid"));
  const pid_t old_helper = gamma_status["helper_pid"];
  const auto old_processes = fleet.processes();
  REQUIRE(old_processes.size() == 7);  // the supervisor, 5 gateways, 1 helper

  first.signal(SIGKILL);
  REQUIRE(first.wait_for_exit(5s));
  const auto killed = Clock::now();
  auto& second = fleet.start();
  observe(fmt::format("new supervisor: all 5 running after {} ms", ms_since(killed)));

  for (const auto& name : FaultFleet::names) {
    INFO(name);
    auto status = fleet.status(name);
    CHECK(status["restarts"] == 0);
    auto gateways = gateways_of(fleet, name);
    CHECK(gateways == std::vector<pid_t>{status["pid"].get<pid_t>()});
    CHECK(gateway_pid(fleet.fixture.ports[name]) == status["pid"]);
  }
  std::vector<pid_t> survivors;
  wait_until(
      [&] {
        survivors.clear();
        for (pid_t pid : old_processes)
          if (process_alive(pid)) survivors.push_back(pid);
        return survivors.empty();
      },
      5s);
  CHECK(survivors.empty());
  observe("old fleet left: " + describe(survivors));
  const auto strays = orphans(fleet, second.pid());
  CHECK(strays.empty());
  observe("outside the new supervisor's tree: " + describe(strays));
  CHECK_FALSE(process_alive(old_helper));
  // The helper's name is what exec made of /proc/self/exe: not asserted.
  const std::regex ended(fmt::format(R"(profile gamma: killed pid {} \(.*\), left running by a supervisor that ended )"
                                     R"(without stopping it)",
                                     old_helper));
  std::smatch said;
  const auto new_log = second.err();
  CHECK(std::regex_search(new_log, said, ended));
  if (!said.empty()) observe("new supervisor's log: \"" + said.str() + "\"");
  fleet.fixture.gateway_status("gamma");  // tracks the new helper for teardown
}

TEST_CASE("SIGKILL of the supervisor under a descriptor store: adoption") {
  expect("under a service manager with a descriptor store (systemd's, emulated), kill -9 of the supervisor, then a "
         "new one: every gateway adopted with its pid, restarts 0, rescue's /healthz answered all along; then kill -9 "
         "of an adopted gateway (alpha) is noticed and alpha runs again, 1 restart, the others untouched");
  FaultFleet fleet;
  EmulatedServiceManager manager(fleet.fixture);
  auto& first = fleet.start({}, manager.launch());
  REQUIRE(manager.wait_stored({"control", "out-main", "out-rescue", "out-alpha", "out-beta", "out-gamma"}));
  HealthLoad rescue_health({fleet.fixture.ports["rescue"]});

  first.signal(SIGKILL);
  REQUIRE(first.wait_for_exit(5s));
  const auto killed = Clock::now();
  int alive = 0;
  for (const auto& name : FaultFleet::names) alive += process_alive(fleet.pid_at_start(name)) ? 1 : 0;
  CHECK(alive == 5);
  auto& second = fleet.fixture.start_supervisor(manager.launch());
  for (const auto& name : FaultFleet::names) {
    INFO(name);
    CHECK(fleet.wait(name, [&](const json& entry) {
      return entry["state"] == "running" && entry["pid"] == fleet.pid_at_start(name) && entry["restarts"] == 0;
    }));
  }
  const auto adopted_after = ms_since(killed);
  const auto health = rescue_health.finish().begin()->second;
  CHECK(health.first > 0);
  CHECK(health.second == 0);
  observe(fmt::format("{} of 5 gateways alive after the kill; all 5 running with their pids, restarts 0, {} ms after "
                      "it; rescue /healthz {} requests, {} failed meanwhile",
                      alive, adopted_after, health.first, health.second));

  const pid_t alpha = fleet.pid_at_start("alpha");
  REQUIRE(::kill(alpha, SIGKILL) == 0);
  const auto alpha_killed = Clock::now();
  CHECK(fleet.wait("alpha", [&](const json& entry) {
    return entry["state"] == "running" && entry["pid"] != alpha && entry["restarts"] == 1;
  }));
  const auto status = fleet.status("alpha");
  CHECK(status["last_exit"]["code"].is_null());
  observe(fmt::format("adopted alpha killed: running again as pid {} after {} ms, restarts {}, last_exit \"{}\"",
                      status["pid"].dump(), ms_since(alpha_killed), status["restarts"].dump(),
                      status["last_exit"]["reason"].get<std::string>()));
  CHECK(second.running());
  fleet.check_untouched({"alpha"});
}

TEST_CASE("20 reloads in a row under load") {
  expect("20 reloads back to back (alpha changed every time, beta and delta removed and added in turn) while 500 "
         "status requests/s and /healthz polling run: every reload answered ok; main, rescue, gamma unchanged in "
         "every reply, same pids, every /healthz and status request answered; the fleet ends as the last manifest "
         "says, one gateway per profile, nothing left of removed ones, no descriptor leak");
  FaultFleet fleet;
  auto& supervisor = fleet.start();
  const auto descriptors_before = open_descriptors(supervisor.pid());
  const std::vector<int> steady_ports{fleet.fixture.ports["main"], fleet.fixture.ports["rescue"],
                                      fleet.fixture.ports["gamma"]};
  ControlLoad control(fleet.fixture.control_socket().string(), 500, 2, 120s);
  HealthLoad health(steady_ports);

  const auto started = Clock::now();
  int answered = 0;
  for (int i = 0; i < 20; ++i) {
    Profiles profiles{{"main", main_profile()},
                      {"rescue", rescue_profile()},
                      {"gamma", main_profile()},
                      {"alpha", main_profile({}, {{"env", fmt::format("{{RELOAD: \"{}\"}}", i)}})}};
    profiles[i % 2 == 0 ? "delta" : "beta"] = main_profile();
    fleet.fixture.write_manifest(profiles);
    auto reply = fleet.request("reload");
    INFO("reload " << i + 1 << ": " << reply.dump());
    REQUIRE(reply.is_object());
    CHECK(reply["ok"] == true);
    if (reply["ok"] != true) continue;
    ++answered;
    for (const char* steady : {"main", "rescue", "gamma"}) {
      const auto& unchanged = reply["data"]["unchanged"];
      CHECK(std::find(unchanged.begin(), unchanged.end(), steady) != unchanged.end());
    }
  }
  observe(fmt::format("{} of 20 reloads answered ok in {} ms", answered, ms_since(started)));
  const auto last_reload = Clock::now();

  // The last manifest: alpha with RELOAD=19, beta back, delta gone.
  const pid_t alpha = fleet.wait_new_pid("alpha", fleet.pid_at_start("alpha"));
  REQUIRE(alpha > 0);
  CHECK(wait_until(
      [&] {
        auto alpha_now = fleet.status("alpha");
        if (alpha_now.is_null() || !alpha_now["pid"].is_number()) return false;
        auto environment = environment_of(alpha_now["pid"].get<pid_t>());
        return std::find(environment.begin(), environment.end(), "RELOAD=19") != environment.end();
      },
      state_deadline, 50ms));
  CHECK(fleet.wait_new_pid("beta", fleet.pid_at_start("beta")) > 0);
  CHECK(wait_until([&] { return fleet.status("delta").is_null(); }, state_deadline, 50ms));
  CHECK(wait_until([&] { return listening_addresses(fleet.fixture.ports["delta"]).empty(); }, 5s));
  observe(fmt::format("fleet as the last manifest says {} ms after the last reload", ms_since(last_reload)));
  control.stop();
  auto requests = control.finish();
  auto polls = health.finish();
  observe(fmt::format("status requests: {} sent, {} failed", requests.sent, requests.failed));
  CHECK(requests.failed == 0);
  CHECK(requests.ok == requests.sent);
  long health_failures = 0, health_requests = 0;
  for (const auto& [port, counts] : polls) {
    health_requests += counts.first;
    health_failures += counts.second;
  }
  observe(fmt::format("/healthz on main, rescue, gamma: {} requests, {} failed", health_requests, health_failures));
  CHECK(health_requests > 0);
  CHECK(health_failures == 0);

  for (const auto& name : {"main", "rescue", "alpha", "beta", "gamma"}) {
    INFO(name);
    auto gateways = gateways_of(fleet, name);
    CHECK(gateways == std::vector<pid_t>{fleet.status(name)["pid"].get<pid_t>()});
  }
  CHECK(gateways_of(fleet, "delta").empty());
  CHECK(fleet.processes().size() == 6);  // the supervisor and 5 gateways
  CHECK(orphans(fleet, supervisor.pid()).empty());
  const auto descriptors_after = open_descriptors(supervisor.pid());
  observe(fmt::format("supervisor descriptors {} before, {} after", descriptors_before, descriptors_after));
  CHECK(descriptors_after <= descriptors_before + 2);  // the load's 2 connections may still be closing
  fleet.check_untouched({"alpha", "beta"});
}

TEST_CASE("1000 control requests per second for 10 s while children crash") {
  // Sanitizers slow the supervisor and this test several times over, and ASan's quarantine keeps
  // freed memory: there, rate, latency and RSS are reported, not asserted.
  constexpr bool timing_asserted = !MOLTBOT_SANITIZED_BUILD;
  expect(std::string("10 s of 1000 status requests/s on 4 connections while alpha and beta exit every 300/500 ms "
                     "and are restarted: every request answered ok") +
         (timing_asserted ? " at >= 980/s (the test's own scheduling may lose a little), p99 < 100 ms" : "") +
         "; alpha and beta restarted again and again, never fatal; the 3 others untouched" +
         (timing_asserted ? "; the supervisor's RSS grows by less than 4 MiB"
                          : " (sanitizer build: rate, latency and RSS reported only)"));
  const std::map<std::string, std::string> fast_restarts{
      {"restart", "{policy: always, backoff: {initial: 10ms, max: 50ms, factor: 2}, reset_after: 30s, "
                  "max_restarts: 100000, window: 1m}"}};
  FaultFleet fleet({{"alpha", main_profile("exit_after=300ms:1", fast_restarts)},
                    {"beta", main_profile("exit_after=500ms:1", fast_restarts)}});
  auto& supervisor = fleet.start({"alpha", "beta"});
  REQUIRE(fleet.wait("alpha", [](const json& s) { return s["restarts"] > 0; }));
  REQUIRE(fleet.wait("beta", [](const json& s) { return s["restarts"] > 0; }));
  const int alpha_before = fleet.status("alpha")["restarts"];
  const int beta_before = fleet.status("beta")["restarts"];
  const double cpu_before = cpu_time_ms(supervisor.pid());
  const long rss_before = rss_kib(supervisor.pid());

  ControlLoad load(fleet.fixture.control_socket().string(), 1000, 4, 10s);
  auto result = load.finish();
  const double cpu_used = cpu_time_ms(supervisor.pid()) - cpu_before;
  const double rate = result.ok / result.seconds;
  observe(fmt::format("{} requests, {} ok, {} failed in {:.1f} s ({:.0f}/s); latency p50 {:.2f} ms, p99 {:.2f} ms, "
                      "max {:.1f} ms",
                      result.sent, result.ok, result.failed, result.seconds, rate, result.p50_ms, result.p99_ms,
                      result.max_ms));
  CHECK(result.failed == 0);
  CHECK(result.ok == result.sent);
  if (timing_asserted) {
    CHECK(result.sent >= 9800);
    CHECK(rate >= 980);
    CHECK(result.p99_ms < 100);
  }

  auto alpha = fleet.status("alpha");
  auto beta = fleet.status("beta");
  const int alpha_restarts = alpha["restarts"].get<int>() - alpha_before;
  const int beta_restarts = beta["restarts"].get<int>() - beta_before;
  observe(fmt::format("meanwhile alpha restarted {} times, beta {} times", alpha_restarts, beta_restarts));
  CHECK(alpha_restarts >= 5);
  CHECK(beta_restarts >= 3);
  CHECK(alpha["state"] != "fatal");
  CHECK(beta["state"] != "fatal");
  const long rss = rss_kib(supervisor.pid());
  observe(fmt::format("supervisor CPU {:.0f} ms over the 10 s, RSS {} KiB before, {} KiB after", cpu_used, rss_before, rss));
  if (timing_asserted) CHECK(rss - rss_before < 4 * 1024);
  fleet.check_untouched({"alpha", "beta"});
}
