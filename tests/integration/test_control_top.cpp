// `moltbot-supervisorctl top` in a real terminal (tmux: send-keys, capture-pane): drawn within 80
// columns, refreshed every second (a kill shows up by itself), sorted by a key, `q` quits and
// gives the terminal back; plain tables when stdout is no terminal.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <sstream>

#include "control_fixture.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using Catch::Contains;

namespace {

// A tmux server of the test's own (its socket in the fleet's dir), killed at the end.
class Terminal {
 public:
  Terminal(SupervisorFixture& fleet, int columns, int rows)
      : socket_((fleet.dir.path() / "tmux.sock").string()), exit_file_(fleet.dir.path() / "top-exit") {
    // Its exit status is written by a shell around it (which leaves a C-c to top): tmux 3.3 was
    // seen, in the ASan build, to report the dead pane without its status.
    const auto command = "sh -c 'trap \"\" INT; " + std::string(MOLTBOT_SUPERVISORCTL_BIN) + " --socket " +
                         fleet.control_socket().string() + " top; echo $? >" + exit_file_.string() + "'";
    auto started = tmux({"new-session", "-d", "-s", "top", "-x", std::to_string(columns), "-y", std::to_string(rows),
                         command, ";", "set-option", "-t", "top", "remain-on-exit", "on"});
    REQUIRE(started.exit_code == 0);
  }
  ~Terminal() { tmux({"kill-server"}); }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  std::string screen() { return tmux({"capture-pane", "-p", "-t", "top"}).out; }
  void keys(const std::string& keys) { REQUIRE(tmux({"send-keys", "-t", "top", keys}).exit_code == 0); }
  // Whether `top` ended with status 0.
  bool exited_ok() {
    return wait_until([&] { return std::filesystem::exists(exit_file_); }, 20s, 50ms) &&
           wait_until([&] { return read_file(exit_file_) == "0\n"; }, 2s, 50ms);
  }
  bool wait_for(const std::string& text) {
    return wait_until([&] { return screen().find(text) != std::string::npos; }, 20s, 50ms);
  }

 private:
  ProcessResult tmux(std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/tmux", "-S", socket_});
    return run_process({args, {{"PATH", "/usr/bin:/bin"}, {"TERM", "xterm-256color"}}, std::nullopt});
  }
  std::string socket_;
  std::filesystem::path exit_file_;
};

std::size_t widest_line(const std::string& text) {
  std::istringstream lines(text);
  std::size_t widest = 0;
  for (std::string line; std::getline(lines, line);) widest = std::max(widest, line.size());
  return widest;
}

}  // namespace

TEST_CASE("top: a full screen within 80 columns, refreshed every second, sorted, quit with q") {
  SupervisorFixture fleet(Profiles{{"main", main_profile("double_fork_helpers=1")}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  const pid_t main_pid = fleet.running_pid("main");
  REQUIRE(main_pid > 0);
  REQUIRE(fleet.running_pid("rescue") > 0);
  REQUIRE(wait_control_socket(fleet));
  for (pid_t helper : fleet.detached_helpers("main")) fleet.track(helper);

  Terminal terminal(fleet, 80, 24);
  REQUIRE(terminal.wait_for("PROFILE"));
  auto screen = terminal.screen();
  CHECK_THAT(screen, Contains("2 profiles, 2 running") && Contains("sort: cpu") && Contains("READY") &&
                         Contains("CPU%") && Contains("MEM") && Contains("PROCS"));
  CHECK(widest_line(screen) <= 80);
  CHECK(std::regex_search(screen, std::regex(R"(\nmain +main +running +- +\S+ +0 +[0-9.]+ +\S+ +2 +healthy)")));

  // Refreshed by itself: a kill shows as a restart within seconds, with no key pressed.
  REQUIRE(::kill(main_pid, SIGKILL) == 0);
  CHECK(wait_until(
      [&] { return std::regex_search(terminal.screen(), std::regex(R"(\nmain +main +running +\S+ +\S+ +1 )")); }, 30s,
      100ms));

  terminal.keys("n");
  CHECK(terminal.wait_for("sort: name"));
  screen = terminal.screen();
  CHECK(screen.find("\nmain ") < screen.find("\nrescue "));
  terminal.keys("r");  // most restarts first: main
  CHECK(terminal.wait_for("sort: restarts"));
  screen = terminal.screen();
  CHECK(screen.find("\nmain ") < screen.find("\nrescue "));

  terminal.keys("q");
  CHECK(terminal.exited_ok());
  CHECK(terminal.screen().find("PROFILE") == std::string::npos);  // the alternate screen is gone
}

TEST_CASE("top: a narrow terminal cuts lines instead of wrapping them") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(wait_control_socket(fleet));
  Terminal terminal(fleet, 50, 10);
  REQUIRE(terminal.wait_for("PROFILE"));
  const auto screen = terminal.screen();
  CHECK(widest_line(screen) <= 50);
  CHECK_THAT(screen, Contains("~"));
  terminal.keys("C-c");
  CHECK(terminal.exited_ok());
}

TEST_CASE("top: plain tables when stdout is no terminal") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}, {"rescue", rescue_profile()}});
  fleet.start_supervisor();
  REQUIRE(fleet.running_pid("main") > 0);
  REQUIRE(fleet.running_pid("rescue") > 0);
  REQUIRE(wait_control_socket(fleet));
  auto once = supervisorctl(fleet, {"top", "--sort", "name"});
  CHECK(once.exit_code == 0);
  CHECK(once.out.find('\033') == std::string::npos);
  CHECK_THAT(once.out, Contains("sort: name") && Contains("PROFILE"));
  CHECK(once.out.find("\nmain ") < once.out.find("\nrescue "));
  const auto began = std::chrono::steady_clock::now();
  auto twice = supervisorctl(fleet, {"top", "-n", "2"});
  CHECK(twice.exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - began >= 900ms);
  std::size_t headers = 0;
  for (std::size_t at = 0; (at = twice.out.find("PROFILE", at)) != std::string::npos; ++at) ++headers;
  CHECK(headers == 2);

  auto bad = supervisorctl(fleet, {"top", "--sort", "pid"});
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Contains("--sort pid: expected cpu, mem, name, restarts, state or uptime"));
}
