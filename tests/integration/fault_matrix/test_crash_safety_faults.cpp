// Fault matrix, crash safety: an exception thrown inside each kind of event-loop handler (the
// supervisor's test facility MOLTBOT_SUPERVISOR_TEST_THROW), a start that fails at once with no
// backoff and a budget of 1,000,000, and bytes that are not UTF-8 in a gateway's output and in a
// process name while followers are attached. Each time: the supervisor runs on and answers, the
// profile involved is where docs/supervisor.md ("Crash safety") says, the others are untouched.
#include <signal.h>

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>

#include "../control_fixture.h"
#include "../notify_listener.h"
#include "fault_fleet.h"
#include "fault_table.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/process_name.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace moltbot::test::fault_matrix;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* replacement = "\xEF\xBF\xBD";  // U+FFFD

SupervisorLaunch throwing(const std::string& spec, SupervisorLaunch launch = {}) {
  launch.env["MOLTBOT_SUPERVISOR_TEST_THROW"] = spec;
  return launch;
}

// What the supervisor logs (and, for a profile, gives as the reason) when the test fault `spec`
// ("KIND" or "KIND,PROFILE") fires.
std::string failure_of(const std::string& spec) {
  const auto comma = spec.find(',');
  const std::string kind = spec.substr(0, comma);
  const std::string owner = comma == std::string::npos ? "" : " of profile " + spec.substr(comma + 1);
  return fmt::format("internal error in {} handler{}: test fault (MOLTBOT_SUPERVISOR_TEST_THROW={})", kind, owner,
                     spec);
}

// The supervisor logged the failure with its context, still runs and answers on its socket.
void check_contained(FaultFleet& fleet, ChildProcess& supervisor, const std::string& spec) {
  const auto failure = failure_of(spec);
  CHECK(wait_until([&] { return supervisor.err().find("error: " + failure) != std::string::npos; }, 10s, 20ms));
  const bool alive = supervisor.running();
  CHECK(alive);
  const auto version = fleet.request("version");
  CHECK(version["ok"] == true);
  observe(fmt::format("supervisor log: \"{}\"; supervisor {}, `version` {}", failure, alive ? "alive" : "GONE",
                      version["ok"] == true ? "answered" : "NOT answered"));
}

// A profile that went through the failure path once: running again, one restart, the failure as
// the reason of its last exit.
void check_restarted_once(FaultFleet& fleet, const std::string& profile, const std::string& spec) {
  const auto status = fleet.status(profile);
  CHECK(status["state"] == "running");
  CHECK(status["restarts"] == 1);
  CHECK(status["last_exit"]["reason"] == failure_of(spec));
  observe(fmt::format("{}: {}, restarts {}, last_exit.reason \"{}\"", profile, status["state"].get<std::string>(),
                      status["restarts"].dump(), status["last_exit"]["reason"].get<std::string>()));
}

// A fault (`spec`: "KIND,alpha") in a handler that runs for alpha as the fleet starts.
void restarted_once_as_the_fleet_starts(const std::string& spec) {
  FaultFleet fleet;
  auto& supervisor = fleet.start({}, throwing(spec));
  check_contained(fleet, supervisor, spec);
  check_restarted_once(fleet, "alpha", spec);
  fleet.check_untouched({"alpha"});
}

// Profiles for a FaultFleet with `profile` changed.
Profiles fleet_with(const std::string& profile, ProfileOptions options) {
  Profiles profiles{{"main", main_profile()},
                    {"rescue", rescue_profile()},
                    {"alpha", main_profile()},
                    {"beta", main_profile()},
                    {"gamma", main_profile()}};
  profiles[profile] = std::move(options);
  return profiles;
}

}  // namespace

TEST_CASE("an exception in a profile's timer handler") {
  expect("alpha's first deadline (its first probe) throws: alpha is handled as failed (its gateway stopped, then "
         "restarted through its budget: restarts 1, last_exit names the failure); the supervisor runs and answers");
  restarted_once_as_the_fleet_starts("timer,alpha");
}

TEST_CASE("an exception in a profile's exit handler") {
  expect("kill -9 of alpha, whose exit handler throws: alpha's child is known gone and alpha restarts through its "
         "budget (restarts 1, last_exit names the failure); the supervisor runs and answers");
  FaultFleet fleet;
  auto& supervisor = fleet.start({}, throwing("exit,alpha"));
  const pid_t old_pid = fleet.pid_at_start("alpha");
  ::kill(old_pid, SIGKILL);
  const pid_t new_pid = fleet.wait_new_pid("alpha", old_pid);
  CHECK(new_pid > 0);
  check_contained(fleet, supervisor, "exit,alpha");
  check_restarted_once(fleet, "alpha", "exit,alpha");
  fleet.check_untouched({"alpha"});
}

TEST_CASE("an exception in a probe handler") {
  expect("alpha's first probe throws (the listener ownership check): a failed probe with the failure as its "
         "detail, inside the start period so not counted; alpha runs on its first gateway, restarts 0");
  FaultFleet fleet;
  auto& supervisor = fleet.start({}, throwing("probe,alpha"));
  check_contained(fleet, supervisor, "probe,alpha");
  const auto log = fleet.fixture.profile_log("alpha");
  CHECK(log.find("not healthy yet (start period): " + failure_of("probe,alpha")) != std::string::npos);
  CHECK(occurrences(log, "[supervisor] exec ") == 1);
  CHECK(fleet.status("alpha")["restarts"] == 0);
  observe(fmt::format("alpha's log: \"not healthy yet (start period): {}\", {} gateway started, restarts {}",
                      failure_of("probe,alpha"), occurrences(log, "[supervisor] exec "),
                      fleet.status("alpha")["restarts"].dump()));
  fleet.check_untouched({});
}

TEST_CASE("an exception in an output handler") {
  expect("the first read of alpha's output pipe throws: the pipe is read on (the line is still logged), alpha runs "
         "on its first gateway, restarts 0");
  FaultFleet fleet;
  auto& supervisor = fleet.start({}, throwing("output,alpha"));
  check_contained(fleet, supervisor, "output,alpha");
  const auto listening = fmt::format("profile alpha listening on ws://127.0.0.1:{}", fleet.fixture.ports["alpha"]);
  CHECK(wait_until([&] { return fleet.fixture.profile_log("alpha").find(listening) != std::string::npos; }, 5s));
  CHECK(occurrences(fleet.fixture.profile_log("alpha"), "[supervisor] exec ") == 1);
  observe("alpha's log still has its gateway's first line: \"" + listening + " ...\"");
  fleet.check_untouched({});
}

TEST_CASE("an exception in a CLI handler") {
  expect("the capabilities answer to alpha throws: alpha is handled as a failed start and restarts through its "
         "budget (restarts 1, last_exit names the failure); the others got the same answer and started");
  restarted_once_as_the_fleet_starts("cli,alpha");
}

TEST_CASE("an exception in a request handler") {
  expect("the fleet's start of alpha throws: alpha stays stopped with the failure as its reason; a later "
         "`start alpha --wait` runs it");
  FaultFleet fleet;
  auto& supervisor = fleet.start({"alpha"}, throwing("request,alpha"));
  check_contained(fleet, supervisor, "request,alpha");
  const auto stopped = fleet.status("alpha");
  CHECK(stopped["state"] == "stopped");
  CHECK(stopped["reason"] == failure_of("request,alpha"));
  const auto started = supervisorctl(fleet.fixture, {"start", "alpha", "--wait"});
  CHECK(started.exit_code == 0);
  CHECK(fleet.status("alpha")["state"] == "running");
  observe(fmt::format("alpha {} (\"{}\"), then `start alpha --wait`: exit {}", stopped["state"].get<std::string>(),
                      stopped["reason"].get<std::string>(), started.exit_code));
  fleet.check_untouched({"alpha"});
}

TEST_CASE("an exception in a control session handler") {
  expect("the first request line throws: that client gets an `internal` error naming the failure and is "
         "disconnected; the next client is answered; every profile runs, restarts 0");
  FaultFleet fleet;
  auto& supervisor = fleet.launch(throwing("session"));
  RawConnection client(fleet.fixture.control_socket().string());
  client.send(request_line("status"));
  const auto reply = client.read_line();
  REQUIRE(reply);
  CHECK((*reply)["ok"] == false);
  CHECK((*reply)["error"]["code"] == "internal");
  CHECK((*reply)["error"]["message"] == failure_of("session"));
  CHECK(client.closed_by_server());
  observe("the client: " + reply->dump() + ", then disconnected");
  fleet.wait_running();
  check_contained(fleet, supervisor, "session");
  fleet.check_untouched({});
}

TEST_CASE("an exception in a stream handler") {
  expect("the first event delivered to an `events` follower throws: that follower gets an `internal` error and "
         "is disconnected; a new follower gets the next events");
  FaultFleet fleet;
  auto& supervisor = fleet.start({}, throwing("stream"));
  auto first = start_ctl(fleet.fixture, "events-1", {"--json", "events"});
  REQUIRE(wait_until([&] { return first->out().find("\"streaming\":\"events\"") != std::string::npos; }, 10s));
  CHECK(supervisorctl(fleet.fixture, {"restart", "alpha", "--wait"}).exit_code == 0);
  const auto ended = first->wait_for_exit(10s);
  REQUIRE(ended);
  CHECK(ended->code == 1);
  CHECK(first->err().find(failure_of("stream") + " [internal]") != std::string::npos);
  observe("first follower: exit " + std::to_string(ended->code) + ", \"" + first->err().substr(0, 120) + "...\"");

  auto second = start_ctl(fleet.fixture, "events-2", {"--json", "events"});
  REQUIRE(wait_until([&] { return second->out().find("\"streaming\":\"events\"") != std::string::npos; }, 10s));
  CHECK(supervisorctl(fleet.fixture, {"restart", "alpha", "--wait"}).exit_code == 0);
  CHECK(wait_until([&] { return second->out().find("\"profile\":\"alpha\"") != std::string::npos; }, 10s));
  CHECK(second->running());
  observe("a second follower gets alpha's events");
  check_contained(fleet, supervisor, "stream");
  fleet.check_untouched({"alpha"});
}

TEST_CASE("an exception in a wait handler") {
  expect("`restart alpha --wait` whose first progress line throws: that client gets an `internal` error; the "
         "restart itself goes on (alpha runs on a new pid)");
  FaultFleet fleet;
  auto& supervisor = fleet.start({}, throwing("wait"));
  const auto waited = supervisorctl(fleet.fixture, {"restart", "alpha", "--wait"});
  CHECK(waited.exit_code == 1);
  CHECK(waited.err.find(failure_of("wait") + " [internal]") != std::string::npos);
  CHECK(fleet.wait_new_pid("alpha", fleet.pid_at_start("alpha")) > 0);
  observe(fmt::format("the waiting client: exit {}, \"{}\"; alpha restarted", waited.exit_code, waited.err));
  check_contained(fleet, supervisor, "wait");
  fleet.check_untouched({"alpha"});
}

TEST_CASE("an exception in an accept handler") {
  expect("setting up the first accepted connection throws: that connection is dropped; accepting goes on, "
         "every later request is answered");
  FaultFleet fleet;
  auto& supervisor = fleet.start({}, throwing("accept"));
  check_contained(fleet, supervisor, "accept");
  fleet.check_untouched({});
}

TEST_CASE("an exception in a reload handler") {
  expect("a reload that changes alpha, whose completion throws: the reload was answered; alpha, already stopped "
         "for it, stays stopped and the log says to reload again; the next reload creates and starts alpha");
  FaultFleet fleet;
  auto& supervisor = fleet.start({}, throwing("reload"));
  fleet.fixture.write_manifest(fleet_with("alpha", main_profile({}, {{"env", "{RELOAD: \"1\"}"}})));
  CHECK(fleet.request("reload")["ok"] == true);
  check_contained(fleet, supervisor, "reload");
  CHECK(supervisor.err().find("reload: not completed; reload again to apply the manifest") != std::string::npos);
  CHECK(fleet.wait_state("alpha", "stopped"));
  CHECK(fleet.request("reload")["ok"] == true);
  const pid_t alpha = fleet.wait_new_pid("alpha", fleet.pid_at_start("alpha"));
  REQUIRE(alpha > 0);
  const auto environment = environment_of(alpha);
  CHECK(std::find(environment.begin(), environment.end(), "RELOAD=1") != environment.end());
  observe("alpha stopped after the failed completion; running with RELOAD=1 after the next reload");
  fleet.check_untouched({"alpha"});
}

TEST_CASE("an exception in a status-file handler") {
  expect("the first write of --status-file throws: the next change writes it; every profile runs, restarts 0");
  FaultFleet fleet;
  auto& supervisor = fleet.start({}, throwing("status-file"));
  check_contained(fleet, supervisor, "status-file");
  for (const auto& name : FaultFleet::names) CHECK(fleet.fixture.wait_state(name, "running"));
  observe("the status file shows all five running");
  fleet.check_untouched({});
}

TEST_CASE("an exception in an sd_notify handler") {
  expect("under a service manager (NOTIFY_SOCKET, WATCHDOG_USEC 200 ms), the first notification throws: READY=1, "
         "STATUS= and WATCHDOG=1 keep coming");
  FaultFleet fleet;
  NotifyListener listener{fleet.fixture.dir.path() / "notify.sock"};
  SupervisorLaunch launch{
      {{"NOTIFY_SOCKET", listener.path().string()}, {"WATCHDOG_USEC", "200000"}}, {}, {"WATCHDOG_PID"}};
  auto& supervisor = fleet.start({}, throwing("notify", launch));
  check_contained(fleet, supervisor, "notify");
  const auto pings_then = with_line(listener.messages(), "WATCHDOG=1").size();
  CHECK(listener.wait_for(
      [&](const std::vector<NotifyMessage>& messages) {
        const bool ready = !with_line(messages, "READY=1").empty();
        const bool all_running = std::any_of(messages.begin(), messages.end(), [](const NotifyMessage& message) {
          return message.value("STATUS") == "5 profiles: 5 running";
        });
        return ready && all_running && with_line(messages, "WATCHDOG=1").size() >= pings_then + 3;
      },
      10s));
  observe(fmt::format("READY=1, STATUS=5 profiles: 5 running, {} WATCHDOG=1 so far",
                      with_line(listener.messages(), "WATCHDOG=1").size()));
  fleet.check_untouched({});
}

TEST_CASE("an exception in a signal handler") {
  expect("the first SIGHUP's handler throws: nothing else happens; the next SIGHUP reloads, SIGTERM then stops "
         "the fleet and the supervisor exits 0");
  FaultFleet fleet;
  auto& supervisor = fleet.start({}, throwing("signal"));
  supervisor.signal(SIGHUP);
  check_contained(fleet, supervisor, "signal");
  fleet.check_untouched({});
  supervisor.signal(SIGHUP);
  CHECK(wait_until([&] { return supervisor.err().find("reload (SIGHUP received)") != std::string::npos; }, 10s));
  supervisor.signal(SIGTERM);
  const auto exit = supervisor.wait_for_exit(15s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  for (const auto& name : FaultFleet::names) CHECK_FALSE(process_alive(fleet.pid_at_start(name)));
  observe(fmt::format("second SIGHUP reloaded; SIGTERM: exit {}, no gateway left", exit->code));
}

TEST_CASE("a command that cannot start, with backoff 0 and a budget of 1,000,000") {
  expect("alpha's command does not exist, `backoff.initial: 0`, `max_restarts: 1000000`: every retry is a turn of "
         "the event loop, never a recursion (before: SIGSEGV, a stack overflow, at the first start); over 3 s "
         "hundreds of retries or more while every status request is answered");
  FaultFleet fleet({{"alpha", main_profile({}, {{"command", "[/nonexistent/moltbot-gateway]"},
                                                {"restart", "{policy: always, backoff: {initial: 0, max: 1ms, "
                                                            "factor: 1}, max_restarts: 1000000, window: 1m}"}})}});
  auto& supervisor = fleet.start({"alpha"});
  std::chrono::milliseconds slowest{0};
  int answered = 0;
  long long restarts = 0;
  const auto until = Clock::now() + 3s;
  while (Clock::now() < until) {
    const auto asked = Clock::now();
    const auto alpha = fleet.status("alpha");
    slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - asked));
    if (alpha.is_null()) continue;
    ++answered;
    restarts = alpha["restarts"].get<long long>();
    std::this_thread::sleep_for(100ms);  // a client's pace, not a wait for state
  }
  CHECK(supervisor.running());
  CHECK(answered >= 20);
  CHECK(restarts > 300);
  CHECK(slowest < 1000ms);
  const auto alpha = fleet.status("alpha");
  CHECK(alpha["state"] == "backoff");
  CHECK(alpha["reason"].get<std::string>().find("restarting at once") != std::string::npos);
  observe(fmt::format("{} retries in 3 s; {} status requests answered, the slowest in {} ms; supervisor alive",
                      restarts, answered, slowest.count()));
  fleet.check_untouched({"alpha"});
}

TEST_CASE("invalid UTF-8 in a gateway's output while `logs -f` and `events` follow") {
  expect("alpha prints lines with a \\xff byte while `logs -f alpha` and `events` follow: the supervisor runs on, the "
         "follower gets the lines with U+FFFD, `events` keeps streaming");
  // A wrapper that prints 100 such lines in the background (10 s), then execs the gateway.
  const std::string script =
      "i=0; while [ $i -lt 100 ]; do printf 'tick %s \\377 end\\n' $i; i=$((i+1)); sleep 0.1; done & "
      "exec " MOLTBOT_GATEWAY_BIN " --profile alpha --port \"$0\"";
  const auto command = json::array({"/bin/sh", "-c", script, "{port}"}).dump();  // JSON is YAML
  FaultFleet fleet({{"alpha", main_profile({}, {{"command", command}})}});
  auto& supervisor = fleet.start();
  auto follow = start_ctl(fleet.fixture, "follow", {"logs", "alpha", "-n", "0", "-f"});
  auto events = start_ctl(fleet.fixture, "events", {"--json", "events"});
  REQUIRE(wait_until([&] { return events->out().find("\"streaming\":\"events\"") != std::string::npos; }, 10s));
  CHECK(wait_until([&] { return occurrences(follow->out(), std::string(" ") + replacement + " end") >= 3; }, 10s));
  CHECK(supervisorctl(fleet.fixture, {"restart", "beta", "--wait"}).exit_code == 0);
  CHECK(wait_until([&] { return events->out().find("\"profile\":\"beta\"") != std::string::npos; }, 10s));
  CHECK(follow->running());
  CHECK(events->running());
  CHECK(supervisor.running());
  observe(fmt::format("`logs -f alpha` got {} lines with U+FFFD; `events` still streaming; supervisor alive",
                      occurrences(follow->out(), replacement)));
  fleet.check_untouched({"alpha", "beta"});
}

TEST_CASE("invalid UTF-8 in a foreign process's name, reported in `events`") {
  expect("a process named \"squat\\xff\" holds alpha's bridge port when alpha starts: `events` carries "
         "\"waiting: port P (bridge) held by pid N (squat\\uFFFD)\"; the supervisor runs on; alpha runs once the "
         "port is free");
  FaultFleet fleet;
  auto& supervisor = fleet.start();
  auto events = start_ctl(fleet.fixture, "events", {"--json", "events"});
  REQUIRE(wait_until([&] { return events->out().find("\"streaming\":\"events\"") != std::string::npos; }, 10s));
  CHECK(supervisorctl(fleet.fixture, {"stop", "alpha", "--wait"}).exit_code == 0);
  {
    ScopedProcessName name("squat\xff");
    ListeningSocket squatter(fleet.fixture.ports["alpha"] + 1);
    CHECK(fleet.request("start", {{"target", "alpha"}})["ok"] == true);
    const std::string reported = fmt::format("held by pid {} (squat{})", ::getpid(), replacement);
    CHECK(wait_until([&] { return events->out().find(reported) != std::string::npos; }, 10s));
    CHECK(fleet.status("alpha")["reason"].get<std::string>().find(reported) != std::string::npos);
    observe("`events` and `status`: \"" + reported + "\"");
  }
  CHECK(fleet.wait_state("alpha", "running"));
  CHECK(events->running());
  CHECK(supervisor.running());
  observe("alpha running once the port was freed; `events` still streaming; supervisor alive");
  fleet.check_untouched({"alpha"});
}
