// Fault matrix, faults of one child: killed, stopped, deaf to SIGTERM, leaving a helper behind,
// crashing at every start.
#include <signal.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>
#include <regex>

#include "../control_fixture.h"
#include "fault_fleet.h"
#include "fault_table.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace moltbot::test::fault_matrix;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Milliseconds since the epoch of an event's "time" ("2026-11-25T19:51:25.061Z"), -1 if malformed.
long long utc_ms(const std::string& stamp) {
  std::tm time{};
  int milliseconds = 0;
  if (std::sscanf(stamp.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &time.tm_year, &time.tm_mon, &time.tm_mday, &time.tm_hour,
                  &time.tm_min, &time.tm_sec, &milliseconds) != 7)
    return -1;
  time.tm_year -= 1900;
  time.tm_mon -= 1;
  return static_cast<long long>(::timegm(&time)) * 1000 + milliseconds;
}

}  // namespace

TEST_CASE("kill -9 of a child") {
  expect("main is restarted: new pid, restarts 1, last exit SIGKILL, the new pid answers on main's port; the 4 "
         "other profiles untouched");
  FaultFleet fleet;
  fleet.start();
  const pid_t old_pid = fleet.pid_at_start("main");
  const auto injected = Clock::now();
  REQUIRE(::kill(old_pid, SIGKILL) == 0);

  const pid_t new_pid = fleet.wait_new_pid("main", old_pid);
  REQUIRE(new_pid > 0);
  observe(fmt::format("running again as pid {} after {} ms", new_pid, ms_since(injected)));
  auto status = fleet.status("main");
  CHECK(status["restarts"] == 1);
  CHECK(status["last_exit"]["signal"] == "SIGKILL");
  CHECK_FALSE(process_alive(old_pid));
  CHECK(gateway_pid(fleet.fixture.ports["main"]) == new_pid);
  observe(fmt::format("restarts {}, last exit {}", status["restarts"].dump(), status["last_exit"]["signal"].dump()));
  fleet.check_untouched({"main"});
}

TEST_CASE("SIGSTOP of a child") {
  expect("alpha (stopped, port still open, no answers) turns unhealthy, then after 3 failed probes (1 s timeout "
         "each) is stopped (SIGCONT + SIGTERM) and restarted with a new pid; the old process is gone; the 4 others "
         "untouched");
  FaultFleet fleet;
  fleet.start();
  const pid_t old_pid = fleet.pid_at_start("alpha");
  const auto injected = Clock::now();
  REQUIRE(::kill(old_pid, SIGSTOP) == 0);

  REQUIRE(fleet.wait_state("alpha", "unhealthy"));
  observe(fmt::format("unhealthy after {} ms", ms_since(injected)));
  const pid_t new_pid = fleet.wait_new_pid("alpha", old_pid);
  REQUIRE(new_pid > 0);
  observe(fmt::format("running again as pid {} after {} ms", new_pid, ms_since(injected)));
  CHECK(wait_until([&] { return !process_alive(old_pid); }, 5s));
  CHECK(fleet.status("alpha")["restarts"] == 1);
  CHECK_THAT(fleet.fixture.profile_log("alpha"), Catch::Contains("health check failed 3 times"));
  fleet.check_untouched({"alpha"});
}

TEST_CASE("a child that ignores SIGTERM") {
  expect("`restart beta --wait`: beta logs that it ignores SIGTERM, gets SIGKILL once stop.timeout (1 s) is over "
         "and runs again with a new pid; an operator restart spends no budget (restarts 0); the 4 others "
         "untouched");
  FaultFleet fleet({{"beta", main_profile("ignore_sigterm", {{"stop", "{signal: SIGTERM, timeout: 1s}"}})}});
  fleet.start();
  const pid_t old_pid = fleet.pid_at_start("beta");

  const auto asked = Clock::now();
  auto reply = ctl_json(supervisorctl(fleet.fixture, {"--json", "restart", "beta", "--wait", "--timeout", "20s"}));
  const auto took = ms_since(asked);
  CHECK(reply["states"]["beta"] == "running");
  observe(fmt::format("restart --wait answered after {} ms", took));
  CHECK(took >= 1000);
  CHECK(took < 6000);
  auto status = fleet.status("beta");
  CHECK(status["pid"] != old_pid);
  CHECK(status["restarts"] == 0);
  CHECK_FALSE(process_alive(old_pid));
  const auto log = fleet.fixture.profile_log("beta");
  CHECK_THAT(log, Catch::Contains("ignoring SIGTERM") && Catch::Contains("still alive after 1s: SIGKILL sent"));
  if (log.find("SIGKILL sent") != std::string::npos) observe("log: \"still alive after 1s: SIGKILL sent\"");
  fleet.check_untouched({"beta"});
}

TEST_CASE("a child that leaves a helper in another process group") {
  expect("gamma's helper lives in its own session and process group; kill -9 of gamma ends the helper before "
         "gamma restarts; the new gamma gets a new helper; `stop gamma` ends both; the 4 others untouched");
  FaultFleet fleet({{"gamma", main_profile("spawn_helper")}});
  fleet.start();
  const pid_t old_pid = fleet.pid_at_start("gamma");
  auto gateway_status = fleet.fixture.gateway_status("gamma");
  REQUIRE(gateway_status.contains("helper_pid"));
  const pid_t helper = gateway_status["helper_pid"];
  auto helper_stat = moltbot::runtime::read_proc_stat(helper);
  auto gateway_stat = moltbot::runtime::read_proc_stat(old_pid);
  REQUIRE(helper_stat);
  REQUIRE(gateway_stat);
  CHECK(helper_stat->pgid != gateway_stat->pgid);  // the fault is real: out of reach of a group kill
  observe(fmt::format("helper pid {} in group {}, gateway in group {}", helper, helper_stat->pgid, gateway_stat->pgid));

  REQUIRE(::kill(old_pid, SIGKILL) == 0);
  const pid_t new_pid = fleet.wait_new_pid("gamma", old_pid);
  REQUIRE(new_pid > 0);
  CHECK_FALSE(process_alive(helper));  // gone before the new gamma even started
  auto new_status = fleet.fixture.gateway_status("gamma");
  REQUIRE(new_status.contains("helper_pid"));
  const pid_t new_helper = new_status["helper_pid"];
  CHECK(new_helper != helper);
  observe(fmt::format("after kill -9: old helper {}, new gateway {} with helper {}",
                      process_alive(helper) ? "still alive" : "gone", new_pid, new_helper));

  auto stopped = ctl_json(supervisorctl(fleet.fixture, {"--json", "stop", "gamma", "--wait", "--timeout", "20s"}));
  CHECK(stopped["states"]["gamma"] == "stopped");
  CHECK_FALSE(process_alive(new_pid));
  CHECK_FALSE(process_alive(new_helper));
  observe(fmt::format("after stop: gateway {}, helper {}", process_alive(new_pid) ? "alive" : "gone",
                      process_alive(new_helper) ? "alive" : "gone"));
  fleet.check_untouched({"gamma"});
}

TEST_CASE("a child that crashes at start forever") {
  expect("alpha (abort at every start; backoff 100 ms x2 up to 800 ms, +-20 %, max_restarts 5): each announced "
         "delay within its configured band, each restart no earlier than announced, then `fatal` after 6 starts "
         "with the budget named; no child left; the 4 others untouched");
  FaultFleet fleet({{"alpha", main_profile("crash_at_start",
                                           {{"autostart", "false"},
                                            {"restart", "{policy: always, backoff: {initial: 100ms, max: 800ms, "
                                                        "factor: 2}, reset_after: 30s, max_restarts: 5, window: 1m}"}})}});
  fleet.start({"alpha"});
  RawConnection events(fleet.fixture.control_socket().string());
  events.send(request_line("events"));
  auto subscribed = events.read_line();
  REQUIRE(subscribed);
  REQUIRE((*subscribed)["ok"] == true);
  REQUIRE(fleet.request("start", {{"target", "alpha"}})["ok"] == true);

  // Every state change of alpha, with the moment the supervisor stamped on it.
  std::vector<std::pair<long long, json>> changes;
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline) {
    auto line = events.read_line(1s);
    if (!line || !line->contains("event")) continue;
    const auto& event = (*line)["event"];
    if (event["profile"] != "alpha" || event["kind"] != "state") continue;
    changes.emplace_back(utc_ms(event["time"].get<std::string>()), event);
    if (event["to"] == "fatal") break;
  }
  REQUIRE_FALSE(changes.empty());
  REQUIRE(changes.back().second["to"] == "fatal");

  const std::regex announced(R"(restarting in (\d+)ms)");
  std::vector<long> delays, gaps;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto message = changes[i].second["message"].get<std::string>();
    std::smatch match;
    if (changes[i].second["to"] != "backoff" || !std::regex_search(message, match, announced)) continue;
    delays.push_back(std::stol(match[1]));
    for (std::size_t j = i + 1; j < changes.size(); ++j)
      if (changes[j].second["to"] == "starting") {
        gaps.push_back(changes[j].first - changes[i].first);
        break;
      }
  }
  observe(fmt::format("announced delays {} ms, observed {} ms", fmt::join(delays, ", "), fmt::join(gaps, ", ")));
  REQUIRE(delays.size() == 5);
  REQUIRE(gaps.size() == 5);
  for (std::size_t n = 0; n < delays.size(); ++n) {
    const double base = std::min(100.0 * (1 << n), 800.0);
    INFO("restart " << n + 1 << ": configured " << base << " ms");
    CHECK(delays[n] >= static_cast<long>(0.8 * base));
    CHECK(delays[n] <= static_cast<long>(std::min(1.2 * base, 800.0)));
    CHECK(gaps[n] >= delays[n] - 1);  // stamps are whole milliseconds
  }

  auto status = fleet.status("alpha");
  CHECK(status["state"] == "fatal");
  CHECK(status["pid"].is_null());
  CHECK(status["restarts"] == 5);
  CHECK(status["last_exit"]["signal"] == "SIGABRT");
  CHECK_THAT(status["reason"].get<std::string>(), Catch::Contains("5 restarts within 1m"));
  observe("fatal: \"" + status["reason"].get<std::string>() + "\"");
  const auto starts = occurrences(fleet.fixture.profile_log("alpha"), "[supervisor] exec");
  CHECK(starts == 6);
  observe(fmt::format("{} starts in the log", starts));
  fleet.check_untouched({"alpha"});
}
