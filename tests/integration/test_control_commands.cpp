// Every command of moltbot-supervisorctl as a process against the real daemon running bundled
// gateways.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "control_fixture.h"
#include "moltbot/test/child_process.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Catch::Contains;

TEST_CASE("status ports version logs and signal") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);
  REQUIRE(fleet.running_pid("rescue") > 0);
  REQUIRE(wait_control_socket(fleet));

  auto table = supervisorctl(fleet, {"status"});
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Contains("NAME") && Contains("STATE") && Contains("running") && Contains("rescue"));
  CHECK(table.out.find("\033[") == std::string::npos);  // not a terminal: no colours

  auto all = ctl_json(supervisorctl(fleet, {"--json", "status"}));
  REQUIRE(all.is_array());
  REQUIRE(all.size() == 2);
  for (const auto& entry : all) {
    for (const char* field : {"name", "role", "state", "pid", "restarts", "uptime_s", "ports", "last_exit", "health"})
      CHECK(entry.contains(field));
    for (const char* port : {"gateway", "bridge", "browser_control", "canvas", "cdp_start", "cdp_end"})
      CHECK(entry["ports"].contains(port));
  }
  auto one = ctl_json(supervisorctl(fleet, {"--json", "status", "main"}));
  REQUIRE(one.size() == 1);
  CHECK(one[0]["pid"] == main_pid);
  CHECK(one[0]["ports"]["gateway"] == fleet.ports.at("main"));
  CHECK(one[0]["role"] == "main");
  CHECK(supervisorctl(fleet, {"status", "main"}).exit_code == 0);
  auto unknown = supervisorctl(fleet, {"status", "nosuch"});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Contains("no profile \"nosuch\"") && Contains("no-such-profile"));

  auto ports = ctl_json(supervisorctl(fleet, {"--json", "ports"}));
  REQUIRE(ports.size() == 2);
  CHECK(ports[0]["ports"][0]["name"] == "gateway");
  CHECK(ports[0]["ports"][0]["first"] == fleet.ports.at(ports[0]["name"].get<std::string>()));
  CHECK_THAT(supervisorctl(fleet, {"ports"}).out, Contains("CDP range"));

  auto version = ctl_json(supervisorctl(fleet, {"--json", "version"}));
  CHECK(version["protocol"] == 1);
  CHECK(version["pid"] == fleet.supervisor().pid());

  auto logs = supervisorctl(fleet, {"logs", "main", "-n", "50"});
  CHECK(logs.exit_code == 0);
  CHECK_THAT(logs.out, Contains("listening on ws://127.0.0.1:" + std::to_string(fleet.ports.at("main"))));
  auto few = ctl_json(supervisorctl(fleet, {"--json", "logs", "main", "-n", "1"}));
  CHECK(few["lines"].size() == 1);

  auto signalled = supervisorctl(fleet, {"signal", "KILL", "main"});
  CHECK(signalled.exit_code == 0);
  CHECK_THAT(signalled.out, Contains("sent SIGKILL to main (pid " + std::to_string(main_pid) + ")"));
  CHECK(fleet.wait_status("main", [](const json& status) {
    return status["last_exit"].is_object() && status["last_exit"]["signal"] == "SIGKILL";
  }));
  CHECK(supervisorctl(fleet, {"signal", "NOPE", "main"}).exit_code == 1);
  CHECK(supervisorctl(fleet, {"status", "--bogus"}).exit_code == 2);
}

TEST_CASE("start stop and restart of all skip rescue unless include-rescue and wait shows progress") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  const pid_t rescue_pid = fleet.running_pid("rescue");
  REQUIRE(wait_control_socket(fleet));

  auto stopped = supervisorctl(fleet, {"stop", "all", "--wait"});
  CHECK(stopped.exit_code == 0);
  CHECK_THAT(stopped.out, Contains("main: running -> stopping") && Contains("main: stopping -> stopped") &&
                              Contains("skipped rescue profiles: rescue"));
  CHECK(fleet.status("main")["state"] == "stopped");
  CHECK(fleet.status("rescue")["pid"] == rescue_pid);
  auto not_running = supervisorctl(fleet, {"status", "main"});
  CHECK(not_running.exit_code == 3);

  auto started = ctl_json(supervisorctl(fleet, {"--json", "start", "all", "--wait", "--timeout", "20s"}));
  CHECK(started["profiles"] == json::array({"main"}));
  CHECK(started["skipped"] == json::array({"rescue"}));
  CHECK(started["states"]["main"] == "running");
  const pid_t main_pid = fleet.running_pid("main");

  auto restarted = ctl_json(supervisorctl(fleet, {"--json", "restart", "main", "--wait"}));
  CHECK(restarted["states"]["main"] == "running");
  CHECK(fleet.running_pid("main") != main_pid);
  CHECK(fleet.status("rescue")["pid"] == rescue_pid);

  auto everything = supervisorctl(fleet, {"stop", "all", "--include-rescue", "--wait"});
  CHECK(everything.exit_code == 0);
  CHECK(fleet.status("rescue")["state"] == "stopped");
  CHECK(fleet.status("main")["state"] == "stopped");

  // Without --wait the reply comes at once; the profile gets there on its own.
  CHECK(supervisorctl(fleet, {"start", "rescue"}).exit_code == 0);
  CHECK(fleet.wait_state("rescue", "running"));
}

TEST_CASE("wait reports a profile that cannot come up and its timeout") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("exit_after=100ms:78")}, {"slow", main_profile("slow_start=30s")}});
  fleet.start_supervisor();
  REQUIRE(fleet.wait_state("main", "fatal"));
  REQUIRE(wait_control_socket(fleet));

  auto fatal = supervisorctl(fleet, {"start", "main", "--wait"});
  CHECK(fatal.exit_code == 1);
  CHECK_THAT(fatal.err, Contains("profile \"main\" is fatal") && Contains("[failed]"));

  auto slow = supervisorctl(fleet, {"restart", "slow", "--wait", "--timeout", "500ms"});
  CHECK(slow.exit_code == 1);
  CHECK_THAT(slow.err, Contains("not done after 500 ms: slow is starting") && Contains("[timeout]"));
}

TEST_CASE("reset leaves fatal and clears the restart budget") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("exit_after=300ms:78")}});
  fleet.start_supervisor();
  REQUIRE(fleet.wait_state("main", "fatal"));
  REQUIRE(wait_control_socket(fleet));
  auto fatal_status = supervisorctl(fleet, {"status", "main"});
  CHECK(fatal_status.exit_code == 3);
  CHECK_THAT(fatal_status.out, Contains("fatal"));

  auto events = start_ctl(fleet, "events", {"--json", "events"});
  REQUIRE(wait_until([&] { return events->out().find("{\"streaming\":\"events\"}") != std::string::npos; }, 10s));
  auto reset = ctl_json(supervisorctl(fleet, {"--json", "reset", "main"}));
  CHECK(reset["profile"] == "main");
  CHECK(reset["state"] == "starting");
  // The profile was wanted: it starts again, and fails again the same way.
  CHECK(wait_until([&] { return events->out().find(R"("from":"fatal","kind":"state","message":"reset")") != std::string::npos; },
                   10s));
  CHECK(wait_until([&] { return events->out().find(R"("to":"fatal")") != std::string::npos; }, 15s));
  CHECK(supervisorctl(fleet, {"reset", "nosuch"}).exit_code == 1);
}

TEST_CASE("events and logs -f stream as things happen") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(wait_control_socket(fleet));

  auto json_events = start_ctl(fleet, "events-json", {"--json", "events"});
  auto follow = start_ctl(fleet, "follow", {"logs", "main", "-n", "1", "-f"});
  // Subscribed once the first reply is out: the events reply line, the follower's one tail line.
  REQUIRE(wait_until([&] { return json_events->out().find("{\"streaming\":\"events\"}") != std::string::npos; }, 10s));
  REQUIRE(wait_until([&] { return !follow->out().empty(); }, 10s));
  const auto before = follow->out().size();
  REQUIRE(supervisorctl(fleet, {"restart", "main", "--wait"}).exit_code == 0);
  CHECK(wait_until([&] { return follow->out().find("[supervisor] stopping: restart requested", before) != std::string::npos; },
                   10s));
  CHECK(wait_until([&] { return follow->out().find("[supervisor] running") != std::string::npos; }, 10s));
  CHECK(wait_until([&] { return json_events->out().find("\"to\":\"running\"") != std::string::npos; }, 10s));
  std::istringstream lines(json_events->out());
  std::string reply_line, event_line;
  std::getline(lines, reply_line);
  std::getline(lines, event_line);
  CHECK(json::parse(reply_line, nullptr, false) == json{{"streaming", "events"}});
  auto first = json::parse(event_line, nullptr, false);
  REQUIRE(first.is_object());
  CHECK(first["version"] == 1);
  CHECK(first["event"]["time"].get<std::string>().size() == 24);  // 2026-11-25T19:31:39.123Z
  CHECK(first["event"]["profile"] == "main");
}

TEST_CASE("shutdown stops the fleet and then a client exits 3") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  auto& supervisor = fleet.start_supervisor();
  const pid_t pid = fleet.running_pid("main");
  REQUIRE(pid > 0);
  REQUIRE(wait_control_socket(fleet));

  auto shutdown = supervisorctl(fleet, {"shutdown"});
  CHECK(shutdown.exit_code == 0);
  auto exit = supervisor.wait_for_exit(15s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  CHECK_FALSE(process_alive(pid));
  CHECK_FALSE(std::filesystem::exists(fleet.control_socket()));

  auto absent = supervisorctl(fleet, {"status"});
  CHECK(absent.exit_code == 3);
  CHECK_THAT(absent.err, Contains("not running"));
}

TEST_CASE("options --json and --socket work before and after the subcommand") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  const pid_t pid = fleet.running_pid("main");
  REQUIRE(pid > 0);
  REQUIRE(wait_control_socket(fleet));
  const std::string socket = fleet.control_socket().string();

  // Every position of the two options gives the same reply.
  const std::vector<std::vector<std::string>> positions{
      {"--json", "--socket", socket, "status", "main"},
      {"status", "main", "--json", "--socket", socket},
      {"status", "--json", "main", "--socket=" + socket},
      {"--socket", socket, "status", "--json", "main"},
      {"--socket", "/nowhere.sock", "status", "main", "--json", "--socket", socket},  // the last --socket counts
  };
  for (const auto& args : positions) {
    auto status = ctl_json(run_supervisorctl(args));
    REQUIRE(status.is_array());
    CHECK(status[0]["pid"] == pid);
  }
  CHECK(ctl_json(run_supervisorctl({"version", "--socket", socket, "--json"}))["pid"] == fleet.supervisor().pid());
  CHECK(ctl_json(run_supervisorctl({"ports", "--json", "--socket", socket})).size() == 1);

  auto logs = run_supervisorctl({"logs", "main", "--socket", socket, "-n", "5"});
  CHECK(logs.exit_code == 0);
  CHECK_THAT(logs.out, Contains("listening on ws://127.0.0.1:" + std::to_string(fleet.ports.at("main"))));
  CHECK(ctl_json(run_supervisorctl({"logs", "main", "-n", "2", "--json", "--socket", socket}))["lines"].size() == 2);

  auto restarted = ctl_json(run_supervisorctl({"restart", "main", "--wait", "--json", "--socket", socket}));
  CHECK(restarted["states"]["main"] == "running");
  CHECK(run_supervisorctl({"stop", "main", "--socket", socket, "--wait"}).exit_code == 0);
  CHECK(run_supervisorctl({"status", "main", "--socket", socket}).exit_code == 3);  // stopped

  // Where the socket is named decides where the ctl goes: after the subcommand too.
  auto elsewhere = run_supervisorctl({"status", "--socket", (fleet.dir.path() / "nobody-here.sock").string()});
  CHECK(elsewhere.exit_code == 3);
  CHECK_THAT(elsewhere.err, Contains("nobody-here.sock"));

  // A wrong command line is still a usage error, wherever the options are.
  const std::vector<std::vector<std::string>> usage_errors{
      {"status", "--socket", socket, "--bogus"},       {"status", "main", "extra", "--socket", socket},
      {"logs", "--socket", socket, "--json"},          {"status", "--socket"},
      {"logs", "main", "-n", "many", "--socket", socket},
  };
  for (const auto& args : usage_errors) {
    auto result = run_supervisorctl(args);
    INFO(result.err);
    CHECK(result.exit_code == 2);
  }
  auto help = run_supervisorctl({"status", "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Contains("--socket and --json may also follow the subcommand"));
}
