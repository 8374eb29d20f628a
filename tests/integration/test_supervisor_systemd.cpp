// moltbot-supervisord under a service manager: the sd_notify messages a Type=notify unit relies on
// (received on the test's own NOTIFY_SOCKET) at start, watchdog, reload and stop, and the journald
// priority prefixes of its log.
#include <signal.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>

#include "moltbot/test/run_process.h"
#include "notify_listener.h"
#include "supervisor_fixture.h"

using namespace moltbot::test;
using namespace std::chrono_literals;

namespace {

// main and rescue start with the fleet; spare waits for an operator.
Profiles fleet_of_three(std::string main_faults = {}) {
  return {{"main", main_profile(std::move(main_faults))},
          {"rescue", rescue_profile()},
          {"spare", main_profile({}, {{"autostart", "false"}})}};
}

struct NotifiedSupervisor {
  explicit NotifiedSupervisor(const Profiles& profiles, SupervisorLaunch launch = {}) : fleet(profiles) {
    launch.env["NOTIFY_SOCKET"] = listener.path().string();
    supervisor = &fleet.start_supervisor(launch);
  }

  bool wait_for_status(const std::string& status) {
    return listener.wait_for(
        [&](const auto& messages) {
          return std::any_of(messages.begin(), messages.end(),
                             [&](const auto& message) { return message.value("STATUS") == status; });
        },
        state_deadline);
  }

  SupervisorFixture fleet;
  NotifyListener listener{fleet.dir.path() / "notify.sock"};
  ChildProcess* supervisor = nullptr;
};

// What the supervisor tells its service manager about its state: without the traffic of the
// descriptor store (adoption after a crash: test_supervisor_adoption).
std::vector<NotifyMessage> service_messages(const NotifyListener& listener) {
  auto messages = listener.messages();
  std::erase_if(messages, [](const NotifyMessage& message) {
    return message.has("FDSTORE=1") || message.has("FDSTOREREMOVE=1");
  });
  return messages;
}

std::vector<std::string> statuses(const std::vector<NotifyMessage>& messages) {
  std::vector<std::string> found;
  for (const auto& message : messages)
    if (auto status = message.value("STATUS"); !status.empty()) found.push_back(status);
  return found;
}

void replace_in_manifest(SupervisorFixture& fleet, const std::string& from, const std::string& to) {
  std::ifstream in(fleet.manifest);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  std::ofstream(fleet.manifest, std::ios::trunc) << text.replace(at, from.size(), to);
}

// MONOTONIC_USEC is the supervisor's CLOCK_MONOTONIC when it began reloading.
void check_recent_monotonic(const NotifyMessage& message) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto now_usec = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec));
  const auto sent = std::chrono::microseconds(std::stoll(message.value("MONOTONIC_USEC")));
  CHECK(sent <= now_usec);
  CHECK(sent >= now_usec - 10s);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("READY=1 as soon as every autostart profile is started, then STATUS= on each change") {
  NotifiedSupervisor notified(fleet_of_three());
  REQUIRE(notified.wait_for_status("3 profiles: 2 running, 1 stopped"));
  auto messages = service_messages(notified.listener);

  // Sent together once start_all() has returned: the control socket is already open by then.
  CHECK(messages.front().lines == std::vector<std::string>{"READY=1", "STATUS=3 profiles: 2 starting, 1 stopped"});
  CHECK(with_line(messages, "READY=1").size() == 1);
  auto all_statuses = statuses(messages);
  CHECK(std::adjacent_find(all_statuses.begin(), all_statuses.end()) == all_statuses.end());  // changes only
  for (const auto& message : messages) {
    CHECK(message.sender == notified.supervisor->pid());  // NotifyAccess=main accepts nothing else
    for (const auto& line : message.lines) CHECK((line == "READY=1" || line.starts_with("STATUS=")));
  }
}

TEST_CASE("NOTIFY_SOCKET in the abstract namespace (@name) gets the same messages") {
  SupervisorFixture fleet(Profiles{{"rescue", rescue_profile()}});
  NotifyListener listener{"@moltbot-notify-test-" + std::to_string(::getpid())};
  auto& supervisor = fleet.start_supervisor(SupervisorLaunch{{{"NOTIFY_SOCKET", listener.path().string()}}, {}, {}});
  REQUIRE(listener.wait_for(
      [](const auto& messages) { return !with_line(messages, "STATUS=1 profile: 1 running").empty(); },
      state_deadline));
  auto messages = service_messages(listener);
  CHECK(messages.front().has("READY=1"));
  CHECK(messages.front().sender == supervisor.pid());
}

TEST_CASE("a NOTIFY_SOCKET nobody listens on is warned about, and the fleet runs") {
  SupervisorFixture fleet(Profiles{{"rescue", rescue_profile()}});
  auto missing = fleet.dir.path() / "nobody.sock";
  auto& supervisor = fleet.start_supervisor(SupervisorLaunch{{{"NOTIFY_SOCKET", missing.string()}}, {}, {}});
  REQUIRE(fleet.wait_state("rescue", "running"));
  supervisor.signal(SIGTERM);
  auto exit = supervisor.wait_for_exit(15s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  CHECK_THAT(supervisor.err(), Catch::Contains("notify socket " + missing.string() + ": No such file or directory"));
}

TEST_CASE("with --ready-when-healthy, READY=1 waits until every autostart profile has been healthy") {
  NotifiedSupervisor notified(fleet_of_three("slow_start=1s"), SupervisorLaunch{{}, {"--ready-when-healthy"}, {}});
  REQUIRE(notified.listener.wait_for([](const auto& messages) { return !with_line(messages, "READY=1").empty(); },
                                     state_deadline));
  auto messages = service_messages(notified.listener);
  auto ready = std::find_if(messages.begin(), messages.end(), [](const auto& message) { return message.has("READY=1"); });
  CHECK(ready->value("STATUS") == "3 profiles: 2 running, 1 stopped");
  // Before it, the fleet was reported while main was still coming up.
  REQUIRE(ready != messages.begin());
  CHECK(messages.front().lines == std::vector<std::string>{"STATUS=3 profiles: 2 starting, 1 stopped"});
  CHECK(notified.fleet.status("main")["state"] == "running");
}

TEST_CASE("WATCHDOG=1 every half WATCHDOG_USEC when WATCHDOG_PID is the supervisor's own") {
  NotifiedSupervisor notified(Profiles{{"main", main_profile()}},
                              SupervisorLaunch{{{"WATCHDOG_USEC", "200000"}}, {}, {"WATCHDOG_PID"}});
  constexpr std::size_t pings = 8;
  REQUIRE(notified.listener.wait_for(
      [](const auto& messages) { return with_line(messages, "WATCHDOG=1").size() >= pings; }, 10s));
  auto watchdog = with_line(service_messages(notified.listener), "WATCHDOG=1");
  for (const auto& ping : watchdog) {
    CHECK(ping.sender == notified.supervisor->pid());
    CHECK(ping.lines == std::vector<std::string>{"WATCHDOG=1"});
  }
  // 100 ms apart on average: a timer can be late under load, never early.
  auto mean = (watchdog[pings - 1].received - watchdog[0].received) / (pings - 1);
  CHECK(mean >= 90ms);
  CHECK(mean <= 160ms);
}

TEST_CASE("no WATCHDOG=1 when WATCHDOG_PID names another process") {
  NotifiedSupervisor notified(Profiles{{"main", main_profile("slow_start=1s")}},
                              SupervisorLaunch{{{"WATCHDOG_USEC", "200000"}, {"WATCHDOG_PID", "1"}}, {}, {}});
  REQUIRE(notified.wait_for_status("1 profile: 1 running"));
  auto messages = service_messages(notified.listener);
  // The gateway took a second to come up: about ten pings would have been sent by now.
  CHECK(messages.back().received - messages.front().received >= 900ms);
  CHECK(with_line(messages, "WATCHDOG=1").empty());
  CHECK(with_line(messages, "READY=1").size() == 1);
}

TEST_CASE("SIGHUP with a valid manifest: RELOADING=1 with MONOTONIC_USEC, then READY=1, then the new fleet") {
  NotifiedSupervisor notified(fleet_of_three());
  REQUIRE(notified.wait_for_status("3 profiles: 2 running, 1 stopped"));
  const auto before_reload = service_messages(notified.listener).size();
  replace_in_manifest(notified.fleet, "autostart: false", "autostart: true");

  notified.supervisor->signal(SIGHUP);
  REQUIRE(notified.wait_for_status("3 profiles: 3 running"));
  auto messages = service_messages(notified.listener);
  REQUIRE(messages.size() >= before_reload + 2);
  const auto& reloading = messages[before_reload];
  REQUIRE(reloading.lines.size() == 2);
  CHECK(reloading.lines[0] == "RELOADING=1");
  check_recent_monotonic(reloading);
  CHECK(messages[before_reload + 1].lines.front() == "READY=1");
  CHECK(with_line(messages, "RELOADING=1").size() == 1);
  CHECK(with_line(messages, "READY=1").size() == 2);  // startup, reload
}

TEST_CASE("moltbot-supervisorctl reload (ExecReload) of an invalid manifest: RELOADING=1, READY=1, fleet unchanged") {
  NotifiedSupervisor notified(fleet_of_three());
  REQUIRE(notified.wait_for_status("3 profiles: 2 running, 1 stopped"));
  const auto before_reload = service_messages(notified.listener).size();
  replace_in_manifest(notified.fleet, "autostart: false", "autostart: false\n    autostrat: true");

  ProcessRun ctl;
  ctl.argv = {MOLTBOT_SUPERVISORCTL_BIN, "--socket", notified.fleet.control_socket().string(), "reload"};
  auto reload = run_process(ctl);
  CHECK(reload.exit_code == 1);  // so `systemctl reload` fails and says why
  CHECK_THAT(reload.err, Catch::Contains("fleet.yaml:"));
  // The reply comes after READY=1, so the two are already here.
  auto messages = service_messages(notified.listener);
  REQUIRE(messages.size() == before_reload + 2);
  CHECK(messages[before_reload].lines.front() == "RELOADING=1");
  check_recent_monotonic(messages[before_reload]);
  // Nothing changed, so nothing new to report but readiness.
  CHECK(messages[before_reload + 1].lines == std::vector<std::string>{"READY=1"});
  CHECK(notified.supervisor->running());
  CHECK(notified.fleet.status("spare")["state"] == "stopped");
}

TEST_CASE("SIGTERM: STOPPING=1 asking for the longest stop.timeout plus a margin, then exit 0") {
  auto profiles = fleet_of_three();
  profiles["rescue"].overrides["stop"] = "{signal: SIGTERM, timeout: 7s}";
  NotifiedSupervisor notified(profiles);
  REQUIRE(notified.wait_for_status("3 profiles: 2 running, 1 stopped"));
  const auto before_stop = service_messages(notified.listener).size();

  notified.supervisor->signal(SIGTERM);
  auto exit = notified.supervisor->wait_for_exit(15s);
  REQUIRE(exit);
  CHECK(exit->code == 0);
  auto messages = service_messages(notified.listener);
  REQUIRE(messages.size() > before_stop);
  CHECK(messages[before_stop].lines == std::vector<std::string>{"STOPPING=1", "EXTEND_TIMEOUT_USEC=17000000"});
  for (auto message = messages.begin() + before_stop + 1; message != messages.end(); ++message) {
    REQUIRE(message->lines.size() == 1);
    CHECK(message->lines[0].starts_with("STATUS=3 profiles: "));
  }
  CHECK(with_line(messages, "STOPPING=1").size() == 1);
}

TEST_CASE("under journald (JOURNAL_STREAM set) each log line starts with its syslog priority, no timestamp") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("exit_after=300ms:1")}});
  auto& supervisor = fleet.start_supervisor(SupervisorLaunch{{{"JOURNAL_STREAM", "8:1234"}}, {}, {}});
  REQUIRE(fleet.wait_state("main", "backoff"));
  supervisor.signal(SIGTERM);
  REQUIRE(supervisor.wait_for_exit(15s));

  auto lines = lines_of(supervisor.err());
  REQUIRE_FALSE(lines.empty());
  const std::regex prefixed("<[0-7]>[^<].*");
  const std::regex timestamp(".*\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}.*");
  for (const auto& line : lines) {
    CHECK(std::regex_match(line, prefixed));
    CHECK_FALSE(std::regex_match(line, timestamp));
  }
  auto has_line = [&](const std::string& prefix, const std::string& text) {
    return std::any_of(lines.begin(), lines.end(), [&](const auto& line) {
      return line.starts_with(prefix) && line.find(text) != std::string::npos;
    });
  };
  CHECK(has_line("<6>", "running 1 profiles"));
  CHECK(has_line("<4>", "-> backoff"));
}

TEST_CASE("under journald an invalid manifest is reported at error priority") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  std::ofstream(fleet.manifest, std::ios::app) << "  bad name!:\n    port: 80\n";
  auto& supervisor = fleet.start_supervisor(SupervisorLaunch{{{"JOURNAL_STREAM", "8:1234"}}, {}, {}});
  auto exit = supervisor.wait_for_exit(10s);
  REQUIRE(exit);
  CHECK(exit->code == 1);
  CHECK_THAT(supervisor.err(), Catch::Contains("<3>" + fleet.manifest.string() + ": invalid manifest, nothing started"));
}
