// Rescue independence: nothing that happens to main touches the rescue gateway.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/wait_until.h"
#include "supervisor_fixture.h"

using namespace moltbot::test;
using namespace std::chrono_literals;

namespace {

// Rescue is healthy, on the same pid, never restarted.
void check_rescue_untouched(SupervisorFixture& fleet, pid_t rescue_pid) {
  auto status = fleet.status("rescue");
  CHECK(status["state"] == "running");
  CHECK(status["pid"] == rescue_pid);
  CHECK(status["restarts"] == 0);
  CHECK(http_get("127.0.0.1", fleet.ports["rescue"], "/healthz").ok());
}

}  // namespace

TEST_CASE("main crash-looping for 30 s: the rescue child keeps the same pid, zero restarts") {
  // Main lives 100 ms and comes back after at most 50 ms: well over a hundred crashes in 30 s
  // on an idle machine, with a budget that never runs out.
  SupervisorFixture fleet(Profiles{{"main", main_profile("exit_after=100ms:1",
                                                        {{"restart", "{policy: always, backoff: {initial: 10ms, "
                                                                     "max: 50ms, factor: 2}, reset_after: 30s, "
                                                                     "max_restarts: 100000, window: 1m}"}})},
                                   {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(rescue_pid > 0);

  // Rescue must answer every time it is asked while main loops: for 30 s, and on, up to 90 s, until
  // main has crashed 50 times (a loaded machine running the ASan build restarted it 49 times in 30 s).
  constexpr int wanted_restarts = 50;
  const auto loop_start = std::chrono::steady_clock::now();
  int rescue_probes = 0;
  int rescue_failures = 0;
  int main_restarts = 0;
  wait_until(
      [&] {
        ++rescue_probes;
        if (!http_get("127.0.0.1", fleet.ports["rescue"], "/healthz", 1000ms).ok()) ++rescue_failures;
        if (auto main = fleet.status("main"); !main.is_null()) main_restarts = main["restarts"].get<int>();
        return std::chrono::steady_clock::now() - loop_start >= 30s && main_restarts >= wanted_restarts;
      },
      90s, 50ms);
  CHECK(rescue_probes > 100);
  CHECK(rescue_failures == 0);
  CHECK(main_restarts >= wanted_restarts);

  auto main = fleet.status("main");
  REQUIRE_FALSE(main.is_null());
  CHECK(main["state"] != "fatal");
  check_rescue_untouched(fleet, rescue_pid);
  CHECK(fleet.status("rescue")["health"] == "healthy");
}

TEST_CASE("main hung (SIGSTOP): rescue unaffected and healthy") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  pid_t main_pid = fleet.running_pid("main");
  pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(main_pid > 0);
  REQUIRE(rescue_pid > 0);
  ::kill(main_pid, SIGSTOP);
  REQUIRE(fleet.wait_status("main", [](const nlohmann::json& s) { return s["state"] == "unhealthy"; }));
  check_rescue_untouched(fleet, rescue_pid);
  REQUIRE(fleet.wait_status("main", [&](const nlohmann::json& s) {
    return s["state"] == "running" && s["pid"] != main_pid;
  }));
  check_rescue_untouched(fleet, rescue_pid);
}

TEST_CASE("main's port stolen: main waits, rescue starts and stays healthy") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  ListeningSocket thief(fleet.ports["main"]);
  fleet.start_supervisor();
  pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(rescue_pid > 0);
  REQUIRE(fleet.wait_status("main", [](const nlohmann::json& s) {
    return s["reason"].get<std::string>().find("held by") != std::string::npos;
  }));
  check_rescue_untouched(fleet, rescue_pid);
}

TEST_CASE("main fatal: rescue keeps running and so does the supervisor") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("exit_after=100ms:78")}, {"rescue", rescue_profile()}});
  auto& supervisor = fleet.start_supervisor();
  REQUIRE(fleet.wait_state("main", "fatal"));
  pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(rescue_pid > 0);
  check_rescue_untouched(fleet, rescue_pid);
  CHECK(supervisor.running());
}

TEST_CASE("rescue has its own budget: rescue crash-looping into fatal leaves main alone") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()},
                                   {"rescue", rescue_profile("crash_at_start",
                                                             {{"restart", "{policy: always, backoff: {initial: 20ms, "
                                                                          "max: 100ms, factor: 2}, reset_after: 30s, "
                                                                          "max_restarts: 2, window: 1m}"}})}});
  fleet.start_supervisor();
  pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);
  REQUIRE(fleet.wait_state("rescue", "fatal"));
  auto main = fleet.status("main");
  CHECK(main["state"] == "running");
  CHECK(main["pid"] == main_pid);
  CHECK(main["restarts"] == 0);
}
