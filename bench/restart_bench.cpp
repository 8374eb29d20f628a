// Downtime of a gateway restart under the real moltbot-supervisord (issue 15): for the bundled
// moltbot-gateway and, when installed, the real OpenClaw gateway, one profile per supervisor,
// restarted RUNS times in each of these ways:
//
//   planned, CLI      `moltbot-supervisorctl exec main -- <gateway CLI> gateway restart` (what a
//                     user types; external mode: the gateway drains, leaves a handoff, exits 0, the
//                     supervisor consumes the handoff with the CLI and starts the replacement)
//   planned, SIGUSR2  the same restart asked for by a bare SIGUSR2 to the gateway (no CLI start-up)
//   in-process        `cli: []`: the gateway runs with OPENCLAW_NO_RESPAWN=1 and restarts itself
//                     on SIGUSR2, same pid
//   kill -9           SIGKILL to the gateway, the supervisor restarts it with `backoff.initial: 0`
//                     (and, for the bundled gateway, once more with the default 1 s `initial`,
//                     held there by `max: 1s`: with the ±20 % jitter, 0.8 to 1 s)
//
// Downtime: the last /healthz 200 of the old process to the first /startupz "started" of the new
// one, as downtime_probe.h polls and defines it. From the profile log (ms timestamps) also the
// supervisor's own share: its handling of the old process's exit to the exec of the new one, and
// within it the handoff consume (the gateway's CLI run).
//
// usage: restart_bench [bundled|real|all] [RUNS]   (RUNS default: 20 bundled, 3 real)
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "downtime_probe.h"
#include "latency_summary.h"
#include "moltbot/test/child_process.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/temp_dir.h"
#include "moltbot/test/wait_until.h"
#include "subreaper.h"

namespace {

namespace fs = std::filesystem;
using moltbot::bench::Clock;
using moltbot::bench::Round;
using moltbot::bench::summarize;
using moltbot::test::ChildOptions;
using moltbot::test::ChildProcess;
using moltbot::test::read_file;
using moltbot::test::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;

// What differs between the bundled and the real gateway.
struct GatewayKind {
  std::string name;
  std::string command;           // the manifest's `command`, as YAML
  std::vector<std::string> cli;  // the gateway's CLI through `exec`, before `gateway restart`
  std::string path;              // PATH of the supervisor and its children
  std::string profile_yaml;      // more keys of the profile
  std::chrono::microseconds cadence;
  std::chrono::milliseconds request_timeout;
  std::chrono::milliseconds restart_deadline;  // request to the new process started
  std::chrono::milliseconds start_deadline;    // supervisor start to `running`
  std::chrono::milliseconds settle;            // pause after `running` before the next restart
  bool wants_token = false;                    // an env_file with OPENCLAW_GATEWAY_TOKEN
  bool counts_in_process_restarts = false;     // its /status has in_process_restarts
};

enum class Request { cli_restart, sigusr2, sigkill };

struct Method {
  std::string label;
  Request request;
  bool in_process;      // `cli: []`
  std::string restart;  // the profile's `restart`, as YAML
  bool bundled_only = false;
};

const std::string no_budget_limit = "max_restarts: 100000, window: 1m";

std::vector<Method> methods() {
  return {
      {"planned, `exec main -- CLI gateway restart`", Request::cli_restart, false, "{" + no_budget_limit + "}"},
      {"planned, SIGUSR2 to the gateway", Request::sigusr2, false, "{" + no_budget_limit + "}"},
      {"in-process, SIGUSR2 (`cli: []`)", Request::sigusr2, true, "{" + no_budget_limit + "}"},
      {"kill -9, backoff 0", Request::sigkill, false, "{backoff: {initial: 0}, " + no_budget_limit + "}"},
      {"kill -9, backoff `initial: 1s, max: 1s`", Request::sigkill, false,
       "{backoff: {initial: 1s, max: 1s, factor: 1}, " + no_budget_limit + "}", true},
  };
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// A file descriptor that becomes readable when `pid` exits (not only for our own children).
class PidFd {
 public:
  explicit PidFd(pid_t pid) : fd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {
    if (fd_ < 0) throw std::runtime_error(fmt::format("pidfd_open({}) failed", pid));
  }
  ~PidFd() { ::close(fd_); }
  PidFd(const PidFd&) = delete;
  PidFd& operator=(const PidFd&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// The real supervisor with one profile, `main`, in a scratch HOME, observed through its status
// file and the profile log.
class Fleet {
 public:
  Fleet(const GatewayKind& kind, const Method& method) : port_(moltbot::test::find_free_port_block()), path_(kind.path) {
    std::string profile_yaml = kind.profile_yaml;
    if (kind.wants_token) {
      auto env_file = home_.write("main.env", "OPENCLAW_GATEWAY_TOKEN=" + random_token() + "\n");
      fs::permissions(env_file, fs::perms::owner_read | fs::perms::owner_write);
      profile_yaml += "    env_file: main.env\n";
    }
    if (method.in_process) profile_yaml += "    cli: []\n";
    auto manifest = home_.write(
        "fleet.yaml",
        fmt::format("version: 1\nsupervisor:\n  log_dir: {}\n  socket: {}\ndefaults:\n  command: {}\n"
                    "  env: {{PATH: \"{}\"}}\n  health: {{start_period: 300s}}\n  restart: {}\n  stop: {{timeout: 30s}}\n"
                    "profiles:\n  main:\n    port: {}\n{}",
                    (home_.path() / "log").string(), socket().string(), kind.command, kind.path, method.restart,
                    port_, profile_yaml));
    ChildOptions options;
    options.argv = {MOLTBOT_SUPERVISORD_BIN, "--manifest", manifest.string(), "--status-file", status_file().string()};
    options.env = environment();
    options.output_dir = home_.path();
    options.name = "supervisord";
    supervisor_ = std::make_unique<ChildProcess>(options);
  }

  ~Fleet() {
    // Stops the gateway as an operator would; the ChildProcess kills the group if that hangs.
    supervisor_->signal(SIGTERM);
    supervisor_->wait_for_exit(60s);
  }
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  int port() const { return port_; }

  // `main`'s entry of the status file; null before there is one.
  json status() const {
    auto all = json::parse(read_file(status_file()), nullptr, false);
    if (all.is_array())
      for (const auto& entry : all)
        if (entry.value("name", "") == "main") return entry;
    return nullptr;
  }

  // The status once `main` is running and `condition` holds; nothing after `timeout`.
  std::optional<json> wait_running(const std::function<bool(const json&)>& condition, std::chrono::milliseconds timeout,
                                   std::chrono::milliseconds interval) const {
    json now;
    bool reached = moltbot::test::wait_until(
        [&] {
          now = status();
          return now.is_object() && now["state"] == "running" && condition(now);
        },
        timeout, interval);
    if (!reached) return std::nullopt;
    return now;
  }

  std::string profile_log() const { return read_file(home_.path() / "log" / "main.log"); }
  std::string supervisor_stderr() const { return supervisor_->err(); }

  // `moltbot-supervisorctl exec main -- ARGS`, running alongside the bench.
  std::unique_ptr<ChildProcess> start_exec(const std::vector<std::string>& args) const {
    ChildOptions options;
    options.argv = {MOLTBOT_SUPERVISORCTL_BIN, "--socket", socket().string(), "exec", "main", "--"};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.env = environment();
    options.output_dir = home_.path();
    options.name = "exec";
    return std::make_unique<ChildProcess>(options);
  }

 private:
  fs::path socket() const { return home_.path() / "supervisord.sock"; }
  fs::path status_file() const { return home_.path() / "status.json"; }
  std::map<std::string, std::string> environment() const { return {{"HOME", home_.path().string()}, {"PATH", path_}}; }

  static std::string random_token() {
    std::ifstream random("/dev/urandom", std::ios::binary);
    unsigned char bytes[16];
    random.read(reinterpret_cast<char*>(bytes), sizeof bytes);
    std::string token;
    for (unsigned char byte : bytes) token += fmt::format("{:02x}", byte);
    return token;
  }

  TempDir home_{"moltbot-restart-bench"};
  int port_;
  std::string path_;
  std::unique_ptr<ChildProcess> supervisor_;
};

// The profile log's lines: "2026-12-05T03:08:54.255 [supervisor] text".
struct LogLine {
  double ms;  // of the timestamp, on an arbitrary origin
  std::string text;
};

std::vector<LogLine> log_lines(const std::string& log) {
  std::vector<LogLine> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    std::tm time{};
    int millis = 0;
    if (std::sscanf(line.c_str(), "%d-%d-%dT%d:%d:%d.%d", &time.tm_year, &time.tm_mon, &time.tm_mday, &time.tm_hour,
                    &time.tm_min, &time.tm_sec, &millis) != 7)
      continue;
    time.tm_year -= 1900;
    time.tm_mon -= 1;
    lines.push_back({static_cast<double>(::timegm(&time)) * 1000.0 + millis, line});
  }
  return lines;
}

// The first line at or after `from` with every one of `parts`.
std::optional<std::size_t> find_line(const std::vector<LogLine>& lines, std::size_t from,
                                     std::initializer_list<std::string> parts) {
  for (std::size_t i = from; i < lines.size(); ++i)
    if (std::all_of(parts.begin(), parts.end(), [&](const auto& part) { return lines[i].text.find(part) != std::string::npos; }))
      return i;
  return std::nullopt;
}

// The supervisor's part of a replacement, from the profile log: its handling of the old pid's
// exit to the exec of the new one, and the handoff consume within it (planned restarts only).
struct SupervisorShare {
  std::optional<double> exit_to_exec, consume;
};

SupervisorShare supervisor_share(const std::string& log, pid_t old_pid, pid_t new_pid, bool planned) {
  auto lines = log_lines(log);
  auto old_exec = find_line(lines, 0, {"[supervisor] exec ", fmt::format("(pid {})", old_pid)});
  if (!old_exec) return {};
  auto exit_seen = planned ? find_line(lines, *old_exec, {fmt::format("pid {} exited 0; asking its CLI", old_pid)})
                           : find_line(lines, *old_exec, {"[supervisor] ", "killed by signal 9"});
  auto new_exec = find_line(lines, *old_exec + 1, {"[supervisor] exec ", fmt::format("(pid {})", new_pid)});
  if (!exit_seen || !new_exec) return {};
  SupervisorShare share;
  share.exit_to_exec = lines[*new_exec].ms - lines[*exit_seen].ms;
  if (planned) {
    if (auto consumed = find_line(lines, *exit_seen, {fmt::format("planned restart of pid {}:", old_pid)}))
      share.consume = lines[*consumed].ms - lines[*exit_seen].ms;
  }
  return share;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
  return count;
}

const std::string in_process_line = "restart mode: in-process restart";

struct RunResult {
  std::optional<double> downtime, request_to_started, exit_seen_to_started, exit_to_exec, consume;
  double round_ms = 0;
  std::string failure;  // why the run is not counted
};

// One restart of `main`, which is running and started.
RunResult restart_once(const Fleet& fleet, const GatewayKind& kind, const Method& method, const json& before) {
  RunResult result;
  const auto old_pid = before["pid"].get<pid_t>();
  const int restarts = before["restarts"].get<int>();
  const int planned = before["planned_restarts"].get<int>();
  const bool replaced = !method.in_process;
  std::optional<PidFd> old_process;
  if (replaced) old_process.emplace(old_pid);
  const auto in_process_before = count_of(fleet.profile_log(), in_process_line);

  moltbot::bench::PollOptions options;
  options.port = fleet.port();
  options.cadence = kind.cadence;
  options.request_timeout = kind.request_timeout;
  options.deadline = kind.restart_deadline;
  options.old_pidfd = old_process ? old_process->fd() : -1;
  options.ask_incarnation = method.in_process && kind.counts_in_process_restarts;

  // One round first: the old process's last answers may come before the request is handled.
  std::vector<Round> rounds;
  moltbot::bench::poll_port(options, rounds, [](const std::vector<Round>&) { return true; });
  std::unique_ptr<ChildProcess> cli;
  const auto requested = Clock::now();
  switch (method.request) {
    case Request::cli_restart: {
      auto args = kind.cli;
      args.insert(args.end(), {"gateway", "restart"});
      cli = fleet.start_exec(args);
      break;
    }
    case Request::sigusr2: ::kill(old_pid, SIGUSR2); break;
    case Request::sigkill: ::kill(old_pid, SIGKILL); break;
  }

  // In-process without incarnations, a restart faster than a round may show no round down: then
  // the gateway's log line tells that it has restarted (checked every 50 ms, a file read).
  auto log_checked = requested;
  bool logged_in_process = false;
  moltbot::bench::poll_port(options, rounds, [&](const std::vector<Round>& so_far) {
    if (replaced) return moltbot::bench::new_process_started(so_far);
    if (moltbot::bench::restarted_in_process(so_far, requested)) return true;
    if (Clock::now() - log_checked >= 50ms) {
      log_checked = Clock::now();
      logged_in_process = count_of(fleet.profile_log(), in_process_line) > in_process_before;
    }
    return logged_in_process && !so_far.back().down();
  });
  result.round_ms = moltbot::bench::median_round_ms(rounds);
  auto downtime = replaced ? moltbot::bench::downtime_replaced(rounds)
                           : moltbot::bench::downtime_in_process(rounds, requested);
  if (downtime) {
    result.downtime = downtime->ms();
    result.request_to_started = ms_between(requested, downtime->first_new_started);
    if (downtime->old_exit_seen) result.exit_seen_to_started = ms_between(*downtime->old_exit_seen, downtime->first_new_started);
  }

  // The supervisor must agree on what happened.
  auto expected = [&](const json& now) {
    if (method.in_process) return now["pid"] == old_pid && now["restarts"] == restarts && now["planned_restarts"] == planned;
    if (method.request == Request::sigkill) return now["pid"] != old_pid && now["restarts"] == restarts + 1;
    return now["pid"] != old_pid && now["restarts"] == restarts && now["planned_restarts"] == planned + 1;
  };
  auto after = fleet.wait_running(expected, kind.restart_deadline, 10ms);
  if (cli) {
    auto exit = cli->wait_for_exit(kind.restart_deadline);
    if (!exit || exit->code != 0)
      result.failure = fmt::format("`gateway restart` through exec failed: {}{}", cli->out(), cli->err());
  }
  if (!after) {
    result.failure = fmt::format("not the expected outcome; status: {}", fleet.status().dump());
  } else if (method.in_process &&
             !moltbot::test::wait_until(
                 [&] { return count_of(fleet.profile_log(), in_process_line) > in_process_before; }, 10s)) {
    result.failure = "the gateway did not log an in-process restart";
  } else if (replaced) {
    auto share = supervisor_share(fleet.profile_log(), old_pid, (*after)["pid"].get<pid_t>(),
                                  method.request != Request::sigkill);
    result.exit_to_exec = share.exit_to_exec;
    result.consume = share.consume;
  }
  if (result.failure.empty() && !downtime && replaced)
    result.failure = fmt::format("the poller saw no restart in {} rounds", rounds.size());
  return result;
}

// One run for the progress log on stderr.
std::string describe(const RunResult& result) {
  if (!result.failure.empty()) return "not counted: " + result.failure;
  auto ms = [](const std::optional<double>& value) { return value ? fmt::format("{:.1f} ms", *value) : std::string("-"); };
  return fmt::format("downtime {}, request to started {}, old exit seen to started {}, supervisor exit to exec {}, "
                     "consume {}, median round {:.2f} ms",
                     ms(result.downtime), ms(result.request_to_started), ms(result.exit_seen_to_started),
                     ms(result.exit_to_exec), ms(result.consume), result.round_ms);
}

std::string figure(const std::vector<double>& values, bool with_tail = true) {
  if (values.empty()) return "-";
  auto summary = summarize(values);
  if (!with_tail) return fmt::format("{:.1f}", summary.p50);
  return fmt::format("{:.1f} / {:.1f} / {:.1f}", summary.p50, summary.p90, summary.max);
}

void benchmark(const GatewayKind& kind, int runs) {
  fmt::print("## {} gateway: {} restarts per method, a round (/healthz + /startupz) every {} us\n\n", kind.name, runs,
             kind.cadence.count());
  fmt::print("load average before: {}\n\n", load_average());
  fmt::print(
      "| method | runs | downtime ms (median / p90 / max) | request to started ms (median / p90 / max) | "
      "old exit seen to started ms (median) | supervisor: exit handled to exec ms (median / max) | "
      "of which consume ms (median) | median round ms |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|\n");
  std::fflush(stdout);
  for (const auto& method : methods()) {
    if (method.bundled_only && kind.name != "bundled") continue;
    Fleet fleet(kind, method);
    std::vector<double> downtime, to_started, exit_seen_to_started, exit_to_exec, consume, round_ms;
    int unseen = 0, not_counted = 0;
    pid_t previous = 0;
    for (int run = 0; run < runs; ++run) {
      auto before = fleet.wait_running(
          [&](const json& now) { return method.in_process || now["pid"] != previous; }, kind.start_deadline, 10ms);
      if (!before) {
        fmt::print(stderr, "{} / {}: not running before run {}, giving up: {}\n{}", kind.name, method.label, run + 1,
                   fleet.status().dump(), fleet.supervisor_stderr());
        break;
      }
      std::this_thread::sleep_for(kind.settle);
      previous = (*before)["pid"].get<pid_t>();
      auto result = restart_once(fleet, kind, method, *before);
      fmt::print(stderr, "{} / {} / run {}: {}\n", kind.name, method.label, run + 1, describe(result));
      if (!result.failure.empty()) {
        ++not_counted;
        continue;
      }
      round_ms.push_back(result.round_ms);
      if (result.downtime) {
        downtime.push_back(*result.downtime);
        to_started.push_back(*result.request_to_started);
      } else {
        ++unseen;
      }
      if (result.exit_seen_to_started) exit_seen_to_started.push_back(*result.exit_seen_to_started);
      if (result.exit_to_exec) exit_to_exec.push_back(*result.exit_to_exec);
      if (result.consume) consume.push_back(*result.consume);
    }
    std::string runs_text = std::to_string(downtime.size());
    if (unseen > 0) runs_text += fmt::format(" (+{} faster than a round)", unseen);
    if (not_counted > 0) runs_text += fmt::format(" ({} failed, see stderr)", not_counted);
    std::string share = exit_to_exec.empty() ? "-"
                                             : fmt::format("{:.0f} / {:.0f}", summarize(exit_to_exec).p50,
                                                           summarize(exit_to_exec).max);
    fmt::print("| {} | {} | {} | {} | {} | {} | {} | {} |\n", method.label, runs_text, figure(downtime),
               figure(to_started), figure(exit_seen_to_started, false), share, figure(consume, false),
               figure(round_ms, false));
    std::fflush(stdout);
  }
  fmt::print("\nload average after: {}\n\n", load_average());
}

GatewayKind bundled_gateway() {
  GatewayKind kind;
  kind.name = "bundled";
  kind.command = "[\"" MOLTBOT_GATEWAY_BIN "\", --profile, \"{profile}\", --port, \"{port}\"]";
  kind.cli = {MOLTBOT_GATEWAY_BIN, "--profile", "{profile}"};
  kind.path = "/usr/bin:/bin";
  kind.cadence = 1ms;
  kind.request_timeout = 1s;
  kind.restart_deadline = 20s;
  kind.start_deadline = 20s;
  kind.settle = 100ms;
  kind.counts_in_process_restarts = true;
  return kind;
}

// OPENCLAW_BIN, else the install script's default prefix.
std::optional<fs::path> find_openclaw() {
  const char* explicit_bin = std::getenv("OPENCLAW_BIN");
  fs::path bin = explicit_bin ? fs::path(explicit_bin) : fs::path("/opt/openclaw/bin/openclaw");
  if (::access(bin.c_str(), X_OK) != 0) return std::nullopt;
  return bin;
}

GatewayKind real_gateway(const fs::path& openclaw) {
  GatewayKind kind;
  kind.name = "real";
  kind.command = "[openclaw, --profile, \"{profile}\", gateway, --port, \"{port}\", --bind, loopback, --allow-unconfigured]";
  kind.cli = {"openclaw", "--profile", "{profile}"};
  kind.path = openclaw.parent_path().string() + ":/usr/bin:/bin";
  kind.cadence = 25ms;
  kind.request_timeout = 5s;
  kind.restart_deadline = 400s;  // a drain of up to 330 s, then a start of 10-70 s on this machine
  kind.start_deadline = 400s;
  kind.settle = 5s;
  kind.wants_token = true;
  return kind;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "all";
  const int runs = argc > 2 ? std::atoi(argv[2]) : 0;
  if ((what != "bundled" && what != "real" && what != "all") || runs < 0) {
    fmt::print(stderr, "usage: restart_bench [bundled|real|all] [RUNS]\n");
    return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  moltbot::bench::Subreaper subreaper;
  try {
    if (what != "real") benchmark(bundled_gateway(), runs > 0 ? runs : 20);
    if (what != "bundled") {
      if (auto openclaw = find_openclaw()) {
        benchmark(real_gateway(*openclaw), runs > 0 ? runs : 3);
      } else {
        fmt::print("real gateway: not installed (no OPENCLAW_BIN, no /opt/openclaw/bin/openclaw); "
                   "scripts/install-openclaw.sh installs it\n");
      }
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "restart_bench: {}\n", error.what());
    return 1;
  }
  return 0;
}
