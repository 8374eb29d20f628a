// Fault matrix, faults of the world around a profile: its port taken, its state dir unwritable,
// the log dir full or read-only.
#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "../control_fixture.h"
#include "fault_fleet.h"
#include "fault_table.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/wait_until.h"
#include "scoped_mount.h"

using namespace moltbot::test;
using namespace moltbot::test::fault_matrix;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

// The newest line of a profile's in-memory tail that contains `text`, over the control socket.
std::string tail_line_with(FaultFleet& fleet, const std::string& profile, const std::string& text) {
  auto reply = fleet.request("logs", {{"profile", profile}, {"lines", 200}});
  if (reply.is_null() || reply["ok"] != true) return {};
  const auto& lines = reply["data"]["lines"];
  for (auto line = lines.rbegin(); line != lines.rend(); ++line)
    if (line->get<std::string>().find(text) != std::string::npos) return *line;
  return {};
}

std::uintmax_t file_size_or_zero(const fs::path& path) {
  std::error_code error;
  auto size = fs::file_size(path, error);
  return error ? 0 : size;
}

}  // namespace

TEST_CASE("a foreign process holding a profile's port") {
  expect("beta, started while another program listens on its gateway port, stays `starting` with a reason naming "
         "the port, the holder's pid and name; no child, restarts 0; once the port is freed beta runs within 6 s, "
         "restarts still 0; the 4 others untouched");
  FaultFleet fleet;
  fleet.start();
  const int port = fleet.fixture.ports["beta"];
  CHECK(ctl_json(supervisorctl(fleet.fixture, {"--json", "stop", "beta", "--wait"}))["states"]["beta"] == "stopped");

  TempDir foreign_home("moltbot-foreign");
  ChildOptions options;
  options.argv = {MOLTBOT_GATEWAY_BIN, "--profile", "intruder", "--port", std::to_string(port)};
  options.env = {{"HOME", foreign_home.path().string()}, {"PATH", "/usr/bin:/bin"}};
  options.output_dir = foreign_home.path();
  options.name = "intruder";
  ChildProcess intruder(options);
  REQUIRE(wait_until([&] { return http_get("127.0.0.1", port, "/healthz", 500ms).ok(); }, 10s));

  REQUIRE(fleet.request("start", {{"target", "beta"}})["ok"] == true);
  REQUIRE(fleet.wait("beta", [](const json& s) { return s["reason"].get<std::string>().find("held by") != std::string::npos; }));
  auto waiting = fleet.status("beta");
  observe("reason: \"" + waiting["reason"].get<std::string>() + "\"");
  CHECK(waiting["state"] == "starting");
  CHECK_THAT(waiting["reason"].get<std::string>(),
             Catch::Contains(fmt::format("port {} (gateway) held by pid {} (moltbot-gateway)", port, intruder.pid())));
  CHECK(waiting["pid"].is_null());
  CHECK(waiting["restarts"] == 0);

  intruder.signal(SIGTERM);
  REQUIRE(intruder.wait_for_exit(5s));
  const auto freed = Clock::now();
  const pid_t new_pid = fleet.wait_new_pid("beta", 0, 10s);
  REQUIRE(new_pid > 0);
  const auto took = ms_since(freed);
  observe(fmt::format("port freed: running as pid {} after {} ms", new_pid, took));
  CHECK(took < 6000);
  CHECK(fleet.status("beta")["restarts"] == 0);
  fleet.check_untouched({"beta"});
}

TEST_CASE("a state dir made unwritable") {
  expect("beta's state dir made read-only (a read-only bind mount: root ignores modes), then beta killed: every "
         "start fails (the gateway cannot open its lock file), beta ends `fatal` after its budget (3 restarts) "
         "with the gateway's error in last_lines; the 4 others untouched; writable again + `reset beta`: it runs");
  if (auto reason = mounts_unavailable()) {
    skip(*reason);
    return;
  }
  FaultFleet fleet({{"beta", main_profile({}, {{"restart", "{policy: always, backoff: {initial: 50ms, max: 200ms, "
                                                           "factor: 2}, reset_after: 30s, max_restarts: 3, window: 1m}"}})}});
  fleet.start();
  const auto state_dir = fleet.fixture.dir.path() / "beta" / "state";
  ScopedMount read_only(ScopedMount::Kind::read_only, state_dir);
  int probe = ::open((state_dir / "probe").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  const int probe_error = errno;
  if (probe >= 0) ::close(probe);
  REQUIRE(probe < 0);  // the fault is real, even for root
  REQUIRE(probe_error == EROFS);

  REQUIRE(::kill(fleet.pid_at_start("beta"), SIGKILL) == 0);
  REQUIRE(fleet.wait_state("beta", "fatal"));
  auto status = fleet.status("beta");
  observe("fatal: \"" + status["reason"].get<std::string>() + "\"");
  CHECK_THAT(status["reason"].get<std::string>(), Catch::Contains("3 restarts within 1m"));
  std::string lock_error;
  for (const auto& line : status["last_lines"])
    if (line.get<std::string>().find("Read-only file system") != std::string::npos) lock_error = line;
  CHECK_THAT(lock_error, Catch::Contains("cannot open lock file") && Catch::Contains(state_dir.string()));
  observe("last_lines: \"" + lock_error + "\"");
  CHECK(fleet.fixture.supervisor().running());
  fleet.check_untouched({"beta"});

  read_only.remove();
  REQUIRE(fleet.request("reset", {{"profile", "beta"}})["ok"] == true);
  const pid_t new_pid = fleet.wait_new_pid("beta", 0);
  CHECK(new_pid > 0);
  observe(fmt::format("writable again, reset: running as pid {}", new_pid));
}

TEST_CASE("the log dir on a full file system") {
  expect("log_dir (a 1 MiB tmpfs) filled up: gamma, which logs a line per request, answers 1,500 requests without "
         "stalling (its output pipe keeps being drained) and keeps its pid; main killed with -9 is restarted; "
         "`logs` still has the newest lines; the supervisor names the failing file once; space freed: the file is "
         "written again");
  if (auto reason = mounts_unavailable()) {
    skip(*reason);
    return;
  }
  FaultFleet fleet({{"gamma", main_profile("slow_reply=1ms")}});
  const auto log_dir = fleet.fixture.dir.path() / "logs";
  fs::create_directories(log_dir);
  ScopedMount tmpfs(ScopedMount::Kind::tmpfs, log_dir, 1 << 20);
  auto& supervisor = fleet.start();

  fill_up(log_dir);  // the supervisor's next writes fail with ENOSPC
  struct statvfs space{};
  REQUIRE(::statvfs(log_dir.c_str(), &space) == 0);
  CHECK(space.f_bavail == 0);
  const auto gamma_log = log_dir / "gamma.log";
  const auto size_when_full = file_size_or_zero(gamma_log);

  const auto started = Clock::now();
  int answered = 0;
  for (int i = 0; i < 1500; ++i)
    if (http_get("127.0.0.1", fleet.fixture.ports["gamma"], "/healthz", 2000ms).ok()) ++answered;
  observe(fmt::format("full: gamma answered {} of 1500 requests in {} ms", answered, ms_since(started)));
  CHECK(answered == 1500);
  // Only what fit in the file's last, partly used block could still be written.
  const auto block = static_cast<std::uintmax_t>(space.f_bsize);
  CHECK(file_size_or_zero(gamma_log) <= (size_when_full + block - 1) / block * block);
  CHECK_FALSE(tail_line_with(fleet, "gamma", "delaying reply").empty());

  const pid_t old_main = fleet.pid_at_start("main");
  REQUIRE(::kill(old_main, SIGKILL) == 0);
  const pid_t new_main = fleet.wait_new_pid("main", old_main);
  CHECK(new_main > 0);
  observe(fmt::format("main killed: running again as pid {}", new_main));
  CHECK(supervisor.running());
  const auto warning = "profile gamma: Failed writing to file " + gamma_log.string() + ": No space left on device";
  CHECK(occurrences(supervisor.err(), warning) == 1);
  observe(fmt::format("supervisor log: \"{}...\" {} time(s)", warning, occurrences(supervisor.err(), warning)));

  fs::remove(log_dir / "filler");
  const auto freed = Clock::now();
  REQUIRE(wait_until(
      [&] {
        http_get("127.0.0.1", fleet.fixture.ports["gamma"], "/healthz", 2000ms);
        return file_size_or_zero(gamma_log) > size_when_full;
      },
      10s, 100ms));
  observe(fmt::format("space freed: gamma.log written again after {} ms", ms_since(freed)));
  CHECK(wait_until([&] { return supervisor.err().find(gamma_log.string() + " is written again") != std::string::npos; },
                   5s));
  fleet.check_untouched({"main"});
}

TEST_CASE("the log dir on a read-only file system") {
  expect("log_dir made read-only (a read-only bind mount) and the supervisor restarted on it: it still runs all 5 "
         "profiles, names each log file it cannot open and why, keeps their output in memory (`logs`), and still "
         "restarts a child killed with -9");
  if (auto reason = mounts_unavailable()) {
    skip(*reason);
    return;
  }
  FaultFleet fleet;
  auto& first = fleet.start();
  const auto log_dir = fleet.fixture.dir.path() / "logs";
  ScopedMount read_only(ScopedMount::Kind::read_only, log_dir);
  first.signal(SIGTERM);
  REQUIRE(first.wait_for_exit(10s));

  auto& second = fleet.start();
  observe("restarted on the read-only log dir: all 5 profiles running");
  const auto err = second.err();
  for (const auto& name : FaultFleet::names) {
    const auto warning = fmt::format("profile {}: cannot open {}: Read-only file system", name,
                                     (log_dir / (name + ".log")).string());
    CHECK_THAT(err, Catch::Contains(warning));
    if (name == "main" && err.find(warning) != std::string::npos) observe("supervisor log: \"" + warning + "...\"");
  }
  CHECK_FALSE(tail_line_with(fleet, "main", "listening on").empty());
  observe("`logs main` has the gateway's \"listening on\" line");

  const pid_t old_main = fleet.pid_at_start("main");
  REQUIRE(::kill(old_main, SIGKILL) == 0);
  const pid_t new_main = fleet.wait_new_pid("main", old_main);
  CHECK(new_main > 0);
  observe(fmt::format("main killed: running again as pid {}", new_main));
  fleet.check_untouched({"main"});
}
