// Faults an operator meets, injected through the bundled gateway's MOLTBOT_GATEWAY_TEST_FAULTS.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <regex>

#include "moltbot/test/child_process.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/wait_until.h"
#include "supervisor_fixture.h"

using namespace moltbot::test;
using namespace std::chrono_literals;

TEST_CASE("a crash loop backs off with growing delays and ends fatal, keeping the last exit and lines") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("crash_at_start",
                                                        {{"restart", "{policy: always, backoff: {initial: 50ms, "
                                                                     "max: 2s, factor: 2}, reset_after: 30s, "
                                                                     "max_restarts: 4, window: 1m}"}})}});
  auto& supervisor = fleet.start_supervisor();
  REQUIRE(fleet.wait_state("main", "fatal"));
  auto status = fleet.status("main");
  CHECK(status["restarts"] == 4);
  CHECK(status["pid"].is_null());
  CHECK(status["last_exit"]["signal"] == "SIGABRT");
  CHECK_THAT(status["reason"].get<std::string>(), Catch::Contains("4 restarts within 1m"));
  CHECK_FALSE(status["last_lines"].empty());

  // The delays announced in the supervisor's log grow.
  std::regex delay(R"(restarting in (\d+)ms)");
  std::vector<int> delays;
  auto err = supervisor.err();
  for (auto it = std::sregex_iterator(err.begin(), err.end(), delay); it != std::sregex_iterator(); ++it)
    delays.push_back(std::stoi((*it)[1]));
  REQUIRE(delays.size() == 4);
  for (std::size_t i = 1; i < delays.size(); ++i) CHECK(delays[i] > delays[i - 1]);
  CHECK(supervisor.running());  // a fatal profile never takes the supervisor down
}

TEST_CASE("exit 78 parks the profile as fatal without a restart") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("exit_after=100ms:78")}});
  fleet.start_supervisor();
  REQUIRE(fleet.wait_state("main", "fatal"));
  auto status = fleet.status("main");
  CHECK(status["restarts"] == 0);
  CHECK(status["last_exit"]["code"] == 78);
  CHECK_THAT(status["reason"].get<std::string>(), Catch::Contains("exit status 78") && Catch::Contains("until reset"));
  auto log = fleet.profile_log("main");
  CHECK(std::count(log.begin(), log.end(), '\n') > 0);
  CHECK(log.find("[supervisor] exec") == log.rfind("[supervisor] exec"));  // started exactly once
}

TEST_CASE("a child that stops answering (SIGSTOP) is restarted after the failure threshold") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  pid_t hung = fleet.running_pid("main");
  REQUIRE(hung > 0);
  ::kill(hung, SIGSTOP);
  REQUIRE(fleet.wait_status("main", [&](const nlohmann::json& s) {
    return s["state"] == "running" && s["pid"].is_number() && s["pid"] != hung;
  }));
  CHECK(fleet.status("main")["restarts"] == 1);
  CHECK(wait_until([&] { return !process_alive(hung); }, 5s));
  CHECK_THAT(fleet.profile_log("main"), Catch::Contains("health check failed 3 times"));
}

TEST_CASE("a helper in its own process group is stopped with its gateway") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("spawn_helper")}});
  auto& supervisor = fleet.start_supervisor();
  pid_t gateway = fleet.running_pid("main");
  REQUIRE(gateway > 0);
  auto gateway_status = fleet.gateway_status("main");
  REQUIRE(gateway_status.contains("helper_pid"));
  pid_t helper = gateway_status["helper_pid"];
  REQUIRE(process_alive(helper));

  SECTION("when the gateway is killed, its orphaned helper goes before the respawn") {
    // The gateway starts its helper before it listens, so the probe that found it healthy also
    // found the helper among its descendants.
    ::kill(gateway, SIGKILL);
    REQUIRE(fleet.wait_status("main", [&](const nlohmann::json& s) {
      return s["state"] == "running" && s["pid"] != gateway;
    }));
    CHECK_FALSE(process_alive(helper));
    fleet.gateway_status("main");  // tracks the new helper for teardown
  }
  SECTION("when the supervisor stops") {
    supervisor.signal(SIGTERM);
    auto exit = supervisor.wait_for_exit(10s);
    REQUIRE(exit);
    CHECK(exit->code == 0);
    CHECK_FALSE(process_alive(gateway));
    CHECK_FALSE(process_alive(helper));
  }
}

TEST_CASE("a foreign listener on a port of the set: the profile waits, names the holder, recovers") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  auto squatter = std::make_unique<ListeningSocket>(fleet.ports["main"] + 2);  // browser control
  fleet.start_supervisor();
  REQUIRE(fleet.wait_status("main", [](const nlohmann::json& s) {
    return s["state"] == "starting" && s["reason"].get<std::string>().find("held by") != std::string::npos;
  }));
  auto status = fleet.status("main");
  CHECK_THAT(status["reason"].get<std::string>(),
             Catch::Contains("port " + std::to_string(fleet.ports["main"] + 2) + " (browser control) held by pid " +
                             std::to_string(::getpid())));
  CHECK(status["pid"].is_null());

  squatter.reset();
  pid_t pid = fleet.running_pid("main");
  CHECK(pid > 0);
  CHECK(fleet.status("main")["restarts"] == 0);
}

TEST_CASE("a foreign process answering 200 on the gateway port is not taken for our gateway") {
  // Our child binds late; meanwhile an unrelated gateway takes the port and answers /healthz.
  SupervisorFixture fleet(Profiles{{"main", main_profile("slow_start=4s")}});
  fleet.start_supervisor();
  REQUIRE(fleet.wait_status("main", [](const nlohmann::json& s) { return s["pid"].is_number(); }));

  TempDir foreign_home("moltbot-foreign");
  ChildOptions options;
  options.argv = {MOLTBOT_GATEWAY_BIN, "--profile", "intruder", "--port", std::to_string(fleet.ports["main"])};
  options.env = {{"HOME", foreign_home.path().string()}, {"PATH", "/usr/bin:/bin"}};
  options.output_dir = foreign_home.path();
  options.name = "intruder";
  ChildProcess intruder(options);
  REQUIRE(wait_until([&] { return http_get("127.0.0.1", fleet.ports["main"], "/healthz", 500ms).ok(); }, 10s));

  REQUIRE(fleet.wait_status("main", [](const nlohmann::json& s) {
    return s["health"].get<std::string>().find("foreign listener") != std::string::npos;
  }));
  auto status = fleet.status("main");
  CHECK(status["state"] != "running");
  CHECK_THAT(status["health"].get<std::string>(),
             Catch::Contains("HTTP 200 answered, but foreign listener on port " + std::to_string(fleet.ports["main"]) +
                             " (pid " + std::to_string(intruder.pid())));
}
