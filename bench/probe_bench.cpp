// What a health probe costs moltbot-supervisord, against the floor of what one can cost. A fleet
// of 100 or 500 bundled gateways, probed every second (tcp or http), runs for SECONDS; the
// supervisor's time on a CPU over that window (/proc/PID/schedstat, in nanoseconds) divided by
// the liveness probes it made (the count of moltbot_profile_health_probe_duration_seconds in
// /metrics, read at both ends of the window) is its CPU per probe. The floor is measured against
// the fleet's first gateway by a client loop in this process (CLOCK_PROCESS_CPUTIME_ID): a
// loopback connect and reset-close for tcp, and for http the same with `GET /healthz` and its
// answer read; back to back (the issue's floor), and paced at the fleet's probe rate (what one
// exchange costs when each is its own wakeup, as a probe's is). Last, the largest fleet on the
// default interval (5 s): the idle CPU an operator sees, and the paced floor at that rate with
// what it alone costs a core. For tcp also the floor of the supervisor's own exchange, which stops
// at a half-open connection the gateway never sees (health_probe.cpp): the half-open floor, across
// the fleet. Targets (issue 22): per probe within 2x the floor for tcp, 3x for
// http; idle CPU with probes at 500 profiles under 0.5 % of a core.
//
// usage: probe_bench [SECONDS] [PROFILES...]   (defaults: 60, then 100 and 500)
//        probe_bench --hold TYPE PROFILES INTERVAL   (a fleet kept probing until stdin ends, its
//        supervisor's pid printed: for `perf record -p`)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_fleet.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/temp_dir.h"

namespace {

using namespace moltbot::bench;
using moltbot::test::TempDir;
using namespace std::chrono_literals;

// Nanoseconds the process has spent on a CPU (the first field of /proc/PID/schedstat).
double schedstat_ns(pid_t pid) {
  std::istringstream fields(moltbot::test::read_file(fmt::format("/proc/{}/schedstat", pid)));
  double on_cpu = 0;
  fields >> on_cpu;
  return on_cpu;
}

double process_cpu_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}

// The liveness probes made so far, summed over the fleet's profiles.
double probes_made(int metrics_port) {
  auto reply = moltbot::test::http_get("127.0.0.1", metrics_port, "/metrics", 30s);
  if (!reply.ok()) throw std::runtime_error("scrape failed: " + reply.error);
  static const std::regex count(R"(moltbot_profile_health_probe_duration_seconds_count\{[^}]*\} ([0-9.e+]+))");
  double total = 0;
  const auto& body = reply.response->body;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), count); it != std::sregex_iterator(); ++it)
    total += std::stod((*it)[1].str());
  return total;
}

// As the supervisor's tcp probe closes: a reset, no TIME_WAIT.
void reset_close(int fd) {
  const linger reset{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd);
}

// The client's CPU per probe-like exchange, in microseconds, over `rounds` of them: back to back,
// or `per_second` of them spread evenly, sleeping between (as a probe once per interval runs:
// each pays a wakeup and finds cold caches).
double floor_us(const std::string& type, const std::vector<int>& ports, int rounds, int per_second = 0) {
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  char answer[4096];
  timespec slot{};
  ::clock_gettime(CLOCK_MONOTONIC, &slot);
  const double before = process_cpu_ns();
  for (int round = 0; round < rounds; ++round) {
    if (per_second > 0) {
      slot.tv_nsec += 1'000'000'000L / per_second;
      if (slot.tv_nsec >= 1'000'000'000L) {
        slot.tv_nsec -= 1'000'000'000L;
        ++slot.tv_sec;
      }
      ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &slot, nullptr);
    }
    const int port = ports[static_cast<std::size_t>(round) % ports.size()];
    const int fd = loopback_connect(port);
    if (fd < 0) throw std::runtime_error(fmt::format("connect to 127.0.0.1:{} failed", port));
    if (type == "http") {
      if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size()))
        throw std::runtime_error("write failed");
      while (::read(fd, answer, sizeof answer) > 0) {
      }
      ::close(fd);  // the gateway closed first: its end holds the TIME_WAIT
    } else {
      reset_close(fd);
    }
  }
  return (process_cpu_ns() - before) / rounds / 1e3;
}

// The client's CPU per exchange, in microseconds, over `rounds` of the exchange the supervisor's
// tcp probe makes (health_probe.cpp), back to back through `ports` in turn: on one kept socket
// holding back the handshake's last ACK (TCP_DEFER_ACCEPT), connect (EINPROGRESS), connect (0),
// connect(AF_UNSPEC) (the reset). The listener answers the SYN and never gets a connection.
double half_open_floor_us(const std::vector<int>& ports, int rounds) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int defer_seconds = 1;
  if (fd < 0 || ::setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof defer_seconds) != 0)
    throw std::runtime_error("cannot make the half-open probe socket");
  const sockaddr none{AF_UNSPEC, {}};
  const double before = process_cpu_ns();
  for (int round = 0; round < rounds; ++round) {
    const int port = ports[static_cast<std::size_t>(round) % ports.size()];
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const auto* to = reinterpret_cast<const sockaddr*>(&address);
    ::connect(fd, to, sizeof address);
    if (::connect(fd, to, sizeof address) != 0) throw std::runtime_error(fmt::format("connect to 127.0.0.1:{} failed", port));
    ::connect(fd, &none, sizeof none);
  }
  const double spent = process_cpu_ns() - before;
  ::close(fd);
  return spent / rounds / 1e3;
}

struct Measured {
  double per_probe_us = 0;
  double idle_percent = 0;
  double probes = 0;
  int probes_per_second = 0;  // the fleet's probe rate
};

struct Floors {
  double back_to_back_us = 0;  // against the first gateway
  double across_fleet_us = 0;  // back to back, each exchange with the next gateway of the fleet
  double paced_us = 0;         // against the first gateway, at the fleet's probe rate
  double half_open_us = 0;     // tcp: the supervisor's own exchange, across the fleet
};

// A fleet of `profiles` bundled gateways, each probed (`type`) every `interval`, all running.
struct ProbedFleet {
  TempDir dir;
  FleetPorts ports;
  std::optional<Supervisor> supervisor;

  ProbedFleet(const std::string& type, int profiles, const std::string& interval)
      : ports(free_fleet_ports(profiles)) {
    FleetShape shape;
    shape.profiles = profiles;
    shape.health = fmt::format("{{type: {}, path: /healthz, interval: {}, timeout: 2s}}", type, interval);
    shape.metrics_port = ports.metrics;
    supervisor.emplace(dir, write_manifest(dir, shape, ports.base));
    if (!supervisor->wait_all_running(static_cast<std::size_t>(profiles), 300s))
      throw std::runtime_error(fmt::format("{} profiles not all running after 300 s (log: {}/supervisord.log)",
                                           profiles, dir.path().string()));
  }
};

Measured measure_fleet(const std::string& type, int profiles, std::chrono::seconds window, Floors& floor,
                       int interval_seconds = 1) {
  ProbedFleet fleet(type, profiles, fmt::format("{}s", interval_seconds));
  const int base = fleet.ports.base;
  const int metrics_port = fleet.ports.metrics;
  auto& supervisor = *fleet.supervisor;
  std::this_thread::sleep_for(5s);  // past the start's probes every start_interval

  const double probes_before = probes_made(metrics_port);
  const double cpu_before = schedstat_ns(supervisor.pid());
  const auto began = Clock::now();
  std::this_thread::sleep_for(window);
  const double cpu = schedstat_ns(supervisor.pid()) - cpu_before;
  const double wall_ns = ms_between(began, Clock::now()) * 1e6;
  const double probes = probes_made(metrics_port) - probes_before;
  std::vector<int> ports;
  for (int i = 0; i < profiles; ++i) ports.push_back(base + i * footprint);
  const int rounds = type == "http" ? 5000 : 20000;
  floor.back_to_back_us = floor_us(type, {base}, rounds);
  floor.across_fleet_us = floor_us(type, ports, rounds);
  const int per_second = std::max(1, profiles / interval_seconds);
  floor.paced_us = floor_us(type, {base}, per_second * 10, per_second);  // 10 s at the fleet's rate
  if (type == "tcp") floor.half_open_us = half_open_floor_us(ports, rounds);
  return {cpu / probes / 1e3, cpu / wall_ns * 100, probes, per_second};
}

void hold_fleet(const std::string& type, int profiles, const std::string& interval) {
  ProbedFleet fleet(type, profiles, interval);
  fmt::print("supervisor pid {}: {} profiles probed ({}) every {}; metrics on 127.0.0.1:{}; end stdin to stop\n",
             fleet.supervisor->pid(), profiles, type, interval, fleet.ports.metrics);
  std::fflush(stdout);
  char ignored[256];
  while (::read(STDIN_FILENO, ignored, sizeof ignored) > 0) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--hold") try {
      hold_fleet(argv[2], std::atoi(argv[3]), argv[4]);
      return 0;
    } catch (const std::exception& error) {
      fmt::print(stderr, "probe_bench: {}\n", error.what());
      return 1;
    }
  const std::chrono::seconds window{argc > 1 ? std::atoi(argv[1]) : 60};
  std::vector<int> sizes;
  for (int i = 2; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {100, 500};
  try {
    fmt::print("| probe | profiles | probes in {} s | supervisor CPU per probe | floor: back to back | ratio | "
               "floor: across the fleet | ratio | floor: paced | ratio | floor: half-open | ratio | idle CPU |\n",
               window.count());
    fmt::print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const std::string type : {"tcp", "http"})
      for (int profiles : sizes) {
        Floors floor;
        const Measured measured = measure_fleet(type, profiles, window, floor);
        const auto ratio = [&](double floor_us) { return fmt::format("{:.1f}x", measured.per_probe_us / floor_us); };
        const bool half_open = floor.half_open_us > 0;
        fmt::print("| {} | {} | {:.0f} | {:.1f} us | {:.1f} us | {} | {:.1f} us | {} | {:.1f} us | {} | {} | {} | "
                   "{:.3f} % |\n",
                   type, profiles, measured.probes, measured.per_probe_us, floor.back_to_back_us,
                   ratio(floor.back_to_back_us), floor.across_fleet_us, ratio(floor.across_fleet_us), floor.paced_us,
                   ratio(floor.paced_us), half_open ? fmt::format("{:.1f} us", floor.half_open_us) : "-",
                   half_open ? ratio(floor.half_open_us) : "-", measured.idle_percent);
        std::fflush(stdout);
      }
    const int largest = *std::max_element(sizes.begin(), sizes.end());
    // The paced floor's CPU: what the bare exchanges alone cost a core at the fleet's probe rate
    // when each is its own wakeup. A prober whose due probes share a wakeup (the supervisor's grid)
    // can spend less: the back-to-back floor is its bound.
    fmt::print("\n| probe | profiles | interval | supervisor CPU per probe | floor: paced | ratio | idle CPU | "
               "the paced floor's CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const std::string type : {"tcp", "http"}) {
      Floors floor;
      const Measured measured = measure_fleet(type, largest, window, floor, 5);
      fmt::print("| {} | {} | 5 s (the default) | {:.1f} us | {:.1f} us | {:.1f}x | {:.3f} % | {:.3f} % |\n", type,
                 largest, measured.per_probe_us, floor.paced_us, measured.per_probe_us / floor.paced_us,
                 measured.idle_percent, floor.paced_us * measured.probes_per_second / 1e4);
      std::fflush(stdout);
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "probe_bench: {}\n", error.what());
    return 1;
  }
  return 0;
}
