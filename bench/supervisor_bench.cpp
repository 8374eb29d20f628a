// moltbot-supervisord with fleets of bundled gateways: the supervisor's own RSS with 10, 100 and
// 500 healthy children, the time until a fleet of 100 is all `running`, its CPU use over 60 s
// idle, the latency from SIGKILL of a child to the exec of its replacement, and what a live
// re-exec (`reexec`) costs a fleet of 100; with supervisor.metrics, what a /metrics scrape costs
// with 10, 100 and 500 profiles, the idle CPU with the endpoint on but not scraped against off, and
// the CPU of `moltbot-supervisorctl top` (and of the supervisor answering it) over 30 refreshes.
//
// Every fleet runs in a fresh temporary dir (state, logs, status file) on loopback ports below
// 32768. Each profile occupies six ports (the five named ones and a one-port
// `browser.cdp_port_range`): 500 default footprints of 111 ports would not fit below 32768.
// The bundled gateway binds P, P+2 and P+4 only.
//
// usage: supervisor_bench [fleet|respawn|respawn-floor|reexec|metrics|all] [KILLS]
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_fleet.h"
#include "latency_summary.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using namespace moltbot::bench;
using moltbot::test::cpu_time_ms;
using moltbot::test::read_file;
using moltbot::test::status_kib;
using moltbot::test::TempDir;
using namespace std::chrono_literals;

void fleet_benchmarks() {
  fmt::print("## Fleet (health as in the defaults: http /healthz every 5s)\n\n");
  fmt::print("| children | all `running` after | supervisor VmRSS | VmHWM | supervisor CPU over 60 s idle |\n");
  fmt::print("|---:|---:|---:|---:|---:|\n");
  for (int profiles : {10, 100, 500}) {
    TempDir dir;
    auto manifest = write_manifest(dir, {profiles, "{}", "{}", 0}, free_port_block_for(profiles));
    Supervisor supervisor(dir, manifest);
    auto running = supervisor.wait_all_running(static_cast<std::size_t>(profiles), 300s);
    if (!running) {
      fmt::print("| {} | not all running after 300 s | | | |\n", profiles);
      continue;
    }
    auto rss = status_kib(supervisor.pid(), "VmRSS");
    auto hwm = status_kib(supervisor.pid(), "VmHWM");
    std::string cpu = "-";
    if (profiles == 100) {
      double before = cpu_time_ms(supervisor.pid());
      auto idle_from = Clock::now();
      std::this_thread::sleep_for(60s);
      double used = cpu_time_ms(supervisor.pid()) - before;
      double wall = ms_between(idle_from, Clock::now());
      cpu = fmt::format("{:.0f} ms ({:.2f} %)", used, 100.0 * used / wall);
      // Still all healthy after the idle minute.
      auto all = supervisor.status();
      auto healthy = std::count_if(all.begin(), all.end(), [](const auto& e) { return e["state"] == "running"; });
      cpu += fmt::format(", {} running after", healthy);
    }
    fmt::print("| {} | {:.0f} ms | {:.2f} MiB | {:.2f} MiB | {} |\n", profiles,
               ms_between(supervisor.started(), *running), rss / 1024.0, hwm / 1024.0, cpu);
    std::fflush(stdout);
  }

  // The same 100 with probes every 50 ms: the supervisor's own start cost, not the first interval.
  TempDir dir;
  auto manifest = write_manifest(dir, {100, "{interval: 50ms}", "{}", 0}, free_port_block_for(100));
  Supervisor supervisor(dir, manifest);
  auto running = supervisor.wait_all_running(100, 300s);
  fmt::print("\n| 100 children, health interval 50ms | all `running` after |\n|---|---:|\n");
  fmt::print("| supervisor exec to every profile `running` | {} |\n\n",
             running ? fmt::format("{:.0f} ms", ms_between(supervisor.started(), *running)) : "not reached in 300 s");
}

// Fork and exec events of the whole system from the kernel's process connector (needs
// CAP_NET_ADMIN), stamped by the kernel with CLOCK_MONOTONIC, the clock of steady_clock: the
// bench blocks instead of competing with the supervisor for a CPU.
class ProcEvents {
 public:
  ProcEvents() {
    fd_ = ::socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (fd_ < 0) throw std::runtime_error("netlink connector socket: " + std::string(std::strerror(errno)));
    int buffer = 8 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
    sockaddr_nl address{};
    address.nl_family = AF_NETLINK;
    address.nl_groups = CN_IDX_PROC;
    address.nl_pid = static_cast<__u32>(::getpid());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("netlink connector bind: " + std::string(std::strerror(errno)));
    alignas(nlmsghdr) char request[NLMSG_SPACE(sizeof(cn_msg) + sizeof(proc_cn_mcast_op))] = {};
    auto* header = reinterpret_cast<nlmsghdr*>(request);
    header->nlmsg_len = NLMSG_LENGTH(sizeof(cn_msg) + sizeof(proc_cn_mcast_op));
    header->nlmsg_type = NLMSG_DONE;
    header->nlmsg_pid = static_cast<__u32>(::getpid());
    auto* message = reinterpret_cast<cn_msg*>(NLMSG_DATA(header));
    message->id = {CN_IDX_PROC, CN_VAL_PROC};
    message->len = sizeof(proc_cn_mcast_op);
    proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
    std::memcpy(message->data, &op, sizeof op);
    if (::send(fd_, request, header->nlmsg_len, 0) != static_cast<ssize_t>(header->nlmsg_len))
      throw std::runtime_error("netlink connector listen: " + std::string(std::strerror(errno)));
  }
  ~ProcEvents() { ::close(fd_); }
  ProcEvents(const ProcEvents&) = delete;
  ProcEvents& operator=(const ProcEvents&) = delete;

  // The next event, or nullopt after `timeout`, for a message that is no event, or when the
  // kernel dropped events (ENOBUFS).
  std::optional<proc_event> next(std::chrono::milliseconds timeout) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    alignas(nlmsghdr) char buffer[4096];
    ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got < static_cast<ssize_t>(sizeof(nlmsghdr) + sizeof(cn_msg) + sizeof(proc_event))) return std::nullopt;
    auto* message = reinterpret_cast<cn_msg*>(NLMSG_DATA(reinterpret_cast<nlmsghdr*>(buffer)));
    proc_event event;
    std::memcpy(&event, message->data, sizeof event);
    return event;
  }

 private:
  int fd_ = -1;
};

Clock::time_point from_kernel(__u64 timestamp_ns) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(timestamp_ns)));
}

// The replacement of a killed child, as the kernel's process connector saw it.
struct Respawn {
  std::optional<Clock::time_point> exited, forked, execed;
  pid_t replacement = 0;
};

// Kills the child `current_child(previous)` returns (once it is ready, and not the `previous`
// one killed) `kills` times, and follows how `parent` replaces it each time.
template <typename CurrentChild>
void measure_respawns(const char* title, int kills, pid_t parent, CurrentChild current_child) {
  ProcEvents events;
  std::vector<double> to_exit, exit_to_fork, fork_to_exec, to_exec;
  pid_t previous = 0;
  for (int round = 0; round < kills; ++round) {
    std::optional<pid_t> old_pid = current_child(previous);
    if (!old_pid) {
      fmt::print("child not running again after kill {}\n", round);
      break;
    }
    previous = *old_pid;
    auto killed = Clock::now();
    ::kill(*old_pid, SIGKILL);
    // The parent forks the replacement (a fork event with it as the parent), which then execs
    // the gateway (an exec event of that child).
    Respawn seen;
    auto deadline = killed + 10s;
    while (!seen.execed && Clock::now() < deadline) {
      auto event = events.next(1s);
      if (!event) continue;  // nothing yet, or the kernel dropped events under load
      if (from_kernel(event->timestamp_ns) < killed) continue;  // queued before this kill
      if (event->what == proc_event::PROC_EVENT_EXIT && event->event_data.exit.process_pid == *old_pid &&
          event->event_data.exit.process_tgid == *old_pid) {
        seen.exited = from_kernel(event->timestamp_ns);
      } else if (event->what == proc_event::PROC_EVENT_FORK && event->event_data.fork.parent_tgid == parent &&
                 event->event_data.fork.child_pid == event->event_data.fork.child_tgid) {
        seen.replacement = event->event_data.fork.child_tgid;
        seen.forked = from_kernel(event->timestamp_ns);
      } else if (event->what == proc_event::PROC_EVENT_EXEC && seen.replacement != 0 &&
                 event->event_data.exec.process_tgid == seen.replacement) {
        seen.execed = from_kernel(event->timestamp_ns);
      }
    }
    if (!seen.execed || !seen.forked) {
      fmt::print("no exec of a new child seen within 10 s after kill {}\n", round);
      break;
    }
    if (seen.exited) {  // the exit event is missed when the kernel drops events under load
      to_exit.push_back(ms_between(killed, *seen.exited));
      exit_to_fork.push_back(ms_between(*seen.exited, *seen.forked));
    }
    fork_to_exec.push_back(ms_between(*seen.forked, *seen.execed));
    to_exec.push_back(ms_between(killed, *seen.execed));
  }
  if (to_exec.empty()) return;
  fmt::print("## {} ({} kills)\n\n", title, to_exec.size());
  fmt::print("| interval | median | p99 | max |\n|---|---:|---:|---:|\n");
  auto row = [](const char* name, const std::vector<double>& values) {
    auto summary = summarize(values);
    fmt::print("| {} | {:.2f} ms | {:.2f} ms | {:.2f} ms |\n", name, summary.p50, summary.p99, summary.max);
  };
  if (!to_exit.empty()) {
    row("kill to the old child's exit (kernel)", to_exit);
    row("old child's exit to the fork of the new one (parent)", exit_to_fork);
  }
  row("fork to exec of the new child", fork_to_exec);
  row("**kill to the new child's exec**", to_exec);
  fmt::print("\n");
  std::fflush(stdout);
}

void respawn_benchmark(int kills) {
  TempDir dir;
  // No backoff (the target excludes it) and a budget that never runs out.
  auto manifest = write_manifest(
      dir, {1, "{interval: 20ms}", "{backoff: {initial: 0, max: 1ms, factor: 1}, max_restarts: 100000, window: 1m}"},
      free_port_block_for(1));
  Supervisor supervisor(dir, manifest);
  // The status file is rewritten after the replacement's exec: `running` with the killed pid is
  // the old child, not yet the new one.
  auto current_child = [&](pid_t previous) -> std::optional<pid_t> {
    auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      if (!supervisor.wait_all_running(1, 30s)) return std::nullopt;
      auto pid = supervisor.status()[0]["pid"].get<pid_t>();
      if (pid != previous) return pid;
      std::this_thread::sleep_for(1ms);
    }
    return std::nullopt;
  };
  measure_respawns("Respawn after SIGKILL, moltbot-supervisord, backoff 0", kills, supervisor.pid(), current_child);
}

// The floor of the respawn latency on this machine: a parent that does nothing but wait for
// SIGCHLD and posix_spawn (vfork) the gateway again, with no state, log, probe or port check.
[[noreturn]] void run_minimal_respawner(char* gateway_argv[], char* gateway_envp[]) {
  sigset_t child_exit;
  ::sigemptyset(&child_exit);
  ::sigaddset(&child_exit, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &child_exit, nullptr);
  posix_spawnattr_t attributes;
  ::posix_spawnattr_init(&attributes);
  sigset_t none;
  ::sigemptyset(&none);
  ::posix_spawnattr_setsigmask(&attributes, &none);
  ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  for (;;) {
    pid_t child = 0;
    if (::posix_spawn(&child, gateway_argv[0], nullptr, &attributes, gateway_argv, gateway_envp) != 0) ::_exit(1);
    siginfo_t info;
    ::sigwaitinfo(&child_exit, &info);
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
}

bool accepts_connections(int port) {
  const int fd = loopback_connect(port);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}

void respawn_floor_benchmark(int kills) {
  TempDir dir;
  int port = free_port_block_for(1);
  std::string home = "HOME=" + dir.path().string();
  std::string port_text = std::to_string(port);
  std::vector<std::string> args{MOLTBOT_GATEWAY_BIN, "--profile", "floor", "--port", port_text};
  auto argv = argv_of(args);
  char* envp[] = {home.data(), nullptr};
  pid_t respawner = ::fork();
  if (respawner < 0) throw std::runtime_error("fork failed");
  if (respawner == 0) {
    ::setpgid(0, 0);  // its gateways inherit the group: one kill ends them all
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    run_minimal_respawner(argv.data(), envp);
  }
  ::setpgid(respawner, respawner);
  auto current_child = [&](pid_t previous) -> std::optional<pid_t> {
    auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      std::istringstream children(read_file(fmt::format("/proc/{0}/task/{0}/children", respawner)));
      pid_t child = 0;
      if (children >> child && child != previous && accepts_connections(port)) return child;
      std::this_thread::sleep_for(1ms);
    }
    return std::nullopt;
  };
  measure_respawns("Respawn after SIGKILL, floor: a bare SIGCHLD + posix_spawn loop", kills, respawner, current_child);
  ::kill(-respawner, SIGKILL);
  ::waitpid(respawner, nullptr, 0);
}

// One request on the control socket, blocking: the reply line, or empty when the connection failed.
std::string control_request(const fs::path& socket_path, const std::string& line) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  std::string reply;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::write(fd, (line + "\n").data(), line.size() + 1) == static_cast<ssize_t>(line.size() + 1)) {
    char buffer[65536];
    for (ssize_t got; reply.find('\n') == std::string::npos && (got = ::read(fd, buffer, sizeof buffer)) > 0;)
      reply.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return reply;
}

// `reexec` 20 times with 100 gateways: how long the control socket went unanswered (the longest
// `version` round trip of a client asking all along, per re-exec), and the request to the new
// image's answer; gateways kept and restarts.
void reexec_benchmark(int reexecs) {
  TempDir dir;
  auto manifest = write_manifest(dir, {100, "{}", "{}", 0}, free_port_block_for(100));
  Supervisor supervisor(dir, manifest);
  if (!supervisor.wait_all_running(100, 300s)) throw std::runtime_error("not all 100 running after 300 s");
  auto pids_of = [&] {
    std::map<std::string, std::pair<pid_t, int>> pids;
    for (const auto& entry : supervisor.status()) pids[entry["name"]] = {entry["pid"], entry["restarts"]};
    return pids;
  };
  const auto before = pids_of();
  const auto socket_path = dir.path() / "supervisord.sock";
  std::vector<double> unanswered, answered_after;
  int failed = 0;
  for (int i = 0; i < reexecs; ++i) {
    std::atomic<bool> done{false};
    double longest = 0;
    std::thread client([&] {
      while (!done) {
        const auto sent = Clock::now();
        if (control_request(socket_path, R"({"version":1,"command":"version"})").empty()) ++failed;
        longest = std::max(longest, ms_between(sent, Clock::now()));
      }
    });
    std::this_thread::sleep_for(20ms);  // the client is asking before the re-exec starts
    const auto asked = Clock::now();
    auto reply = nlohmann::json::parse(control_request(socket_path, R"({"version":1,"command":"reexec"})"), nullptr, false);
    answered_after.push_back(ms_between(asked, Clock::now()));
    std::this_thread::sleep_for(20ms);
    done = true;
    client.join();
    if (!reply.is_object() || reply["ok"] != true)
      throw std::runtime_error("reexec failed: " + (reply.is_discarded() ? std::string("no reply") : reply.dump()) +
                               "; supervisor log: " + read_file(dir.path() / "supervisord.log"));
    unanswered.push_back(longest);
  }
  const auto after = pids_of();
  int kept = 0, restarts = 0;
  for (const auto& [name, entry] : after) {
    if (before.at(name).first == entry.first) ++kept;
    restarts += entry.second;
  }
  auto gap = summarize(unanswered);
  auto answer = summarize(answered_after);
  fmt::print("## Live re-exec, 100 gateways, {} re-execs\n\n", reexecs);
  fmt::print("| measure | p50 | max |\n|---|---:|---:|\n");
  fmt::print("| control socket unanswered (longest `version` round trip during a re-exec) | {:.1f} ms | {:.1f} ms |\n",
             gap.p50, gap.max);
  fmt::print("| `reexec` request to the new image's answer | {:.1f} ms | {:.1f} ms |\n\n", answer.p50, answer.max);
  fmt::print("gateways with the same pid after: {} of 100; restarts: {}; failed requests: {}\n\n", kept, restarts,
             failed);
}

}  // namespace

// The supervisor's CPU over `seconds` of an idle fleet, in ms.
double idle_cpu_ms(const Supervisor& supervisor, std::chrono::seconds seconds) {
  const double before = cpu_time_ms(supervisor.pid());
  std::this_thread::sleep_for(seconds);
  return cpu_time_ms(supervisor.pid()) - before;
}

void metrics_benchmark() {
  fmt::print("## /metrics (bundled gateways, health every 5 s, resources from the profiles' cgroups and /proc)\n\n");
  fmt::print("| profiles | size | scrape, figures cached: p50 | p99 | scrape, figures measured: p50 | max |\n");
  fmt::print("|---:|---:|---:|---:|---:|---:|\n");
  for (int profiles : {10, 100, 500}) {
    TempDir dir;
    const auto [base, port] = free_fleet_ports(profiles);
    auto manifest = write_manifest(dir, {profiles, "{}", "{}", port}, base);
    Supervisor supervisor(dir, manifest);
    if (!supervisor.wait_all_running(static_cast<std::size_t>(profiles), 300s)) {
      fmt::print("| {} | not all running after 300 s | | | | |\n", profiles);
      continue;
    }
    std::size_t size = 0;
    auto timed_scrape = [&] {
      const auto began = Clock::now();
      auto reply = moltbot::test::http_get("127.0.0.1", port, "/metrics", 10s);
      const double took = ms_between(began, Clock::now());
      if (!reply.ok()) throw std::runtime_error("scrape failed: " + reply.error);
      size = reply.response->body.size();
      return took;
    };
    // Figures are measured at most once a second: scrapes a second apart measure them all again.
    std::vector<double> measured, cached;
    for (int i = 0; i < 10; ++i) {
      std::this_thread::sleep_for(1100ms);
      measured.push_back(timed_scrape());
      for (int j = 0; j < 10; ++j) cached.push_back(timed_scrape());
    }
    const auto fresh = summarize(measured), reused = summarize(cached);
    fmt::print("| {} | {:.1f} KB | {:.2f} ms | {:.2f} ms | {:.2f} ms | {:.2f} ms |\n", profiles, size / 1024.0, reused.p50,
               reused.p99, fresh.p50, fresh.max);
  }

  fmt::print("\n| 100 profiles, idle 30 s | supervisor CPU |\n|---|---:|\n");
  for (bool metrics : {false, true}) {
    TempDir dir;
    const auto ports = free_fleet_ports(100);
    auto manifest = write_manifest(dir, {100, "{}", "{}", metrics ? ports.metrics : 0}, ports.base);
    Supervisor supervisor(dir, manifest);
    if (!supervisor.wait_all_running(100, 300s)) throw std::runtime_error("fleet of 100 not running");
    std::this_thread::sleep_for(5s);  // past the start's probes every start_interval
    fmt::print("| metrics {} | {:.0f} ms |\n", metrics ? "on, not scraped" : "off", idle_cpu_ms(supervisor, 30s));
  }

  fmt::print("\n| `top -n 30` on 100 profiles (plain output to /dev/null) | CPU |\n|---|---:|\n");
  TempDir dir;
  auto manifest = write_manifest(dir, {100, "{}", "{}", 0}, free_port_block_for(100));
  Supervisor supervisor(dir, manifest);
  if (!supervisor.wait_all_running(100, 300s)) throw std::runtime_error("fleet of 100 not running");
  std::this_thread::sleep_for(5s);
  const double idle = idle_cpu_ms(supervisor, 30s);
  const double before = cpu_time_ms(supervisor.pid());
  std::vector<std::string> args{MOLTBOT_SUPERVISORCTL_BIN, "--socket", (dir.path() / "supervisord.sock").string(),
                                "top", "-n", "30"};
  const auto began = Clock::now();
  const pid_t top = ::fork();
  if (top == 0) {
    const int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 1);
    auto argv = argv_of(args);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  ::wait4(top, &status, 0, &usage);
  const double wall = ms_between(began, Clock::now());
  const double top_cpu = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
                         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
  const double supervisor_cpu = cpu_time_ms(supervisor.pid()) - before;
  fmt::print("| `moltbot-supervisorctl top` itself, over {:.1f} s | {:.0f} ms ({:.2f} %) |\n", wall / 1000, top_cpu,
             top_cpu / wall * 100);
  fmt::print("| the supervisor meanwhile (idle over 30 s: {:.0f} ms) | {:.0f} ms |\n", idle, supervisor_cpu);
}

int main(int argc, char** argv) {
  std::string what = argc > 1 ? argv[1] : "all";
  int kills = argc > 2 ? std::atoi(argv[2]) : 100;
  ::signal(SIGPIPE, SIG_IGN);
  try {
    if (what == "fleet" || what == "all") fleet_benchmarks();
    if (what == "respawn" || what == "all") respawn_benchmark(kills);
    if (what == "respawn-floor" || what == "all") respawn_floor_benchmark(kills);
    if (what == "reexec" || what == "all") reexec_benchmark(20);
    if (what == "metrics" || what == "all") metrics_benchmark();
  } catch (const std::exception& error) {
    fmt::print(stderr, "supervisor_bench: {}\n", error.what());
    return 1;
  }
  return 0;
}
