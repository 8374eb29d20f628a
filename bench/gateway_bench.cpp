// moltbot-gateway start-up and footprint: starts the gateway RUNS times (default 50) in a fresh
// HOME on free loopback ports and measures, per run, the time from fork to the first 200 from
// GET /healthz, the idle RSS (VmRSS once healthy) and the time from SIGTERM to exit. For scale it
// also times fork to exit of `moltbot-gateway --help`: what creating any process costs here.
// Prints a markdown table (docs/benchmarks.md).
//
//   gateway_bench [RUNS] [PATH-TO-moltbot-gateway]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "latency_summary.h"
#include "moltbot/test/proc_stats.h"

namespace {

using Clock = std::chrono::steady_clock;
using moltbot::bench::LatencySummary;
using moltbot::bench::summarize;
using moltbot::test::rss_kib;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// P, P+2 and P+4 are what the gateway binds; below the ephemeral range.
int free_port_base() {
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> base(20000, 32000);
  for (;;) {
    int p = base(random);
    if (port_free(p) && port_free(p + 2) && port_free(p + 4)) return p;
  }
}

// One blocking GET /healthz; true on a 200.
bool healthy(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const char request[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    char reply[256] = {};
    if (::send(fd, request, sizeof request - 1, MSG_NOSIGNAL) > 0 && ::recv(fd, reply, sizeof reply - 1, MSG_WAITALL) > 0)
      ok = std::strncmp(reply, "HTTP/1.1 200", 12) == 0;
  }
  ::close(fd);
  return ok;
}

// fork + exec + exit of `gateway --help`, output discarded.
double help_round_trip_ms(const std::string& gateway) {
  const auto started = Clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    char* child_argv[] = {const_cast<char*>(gateway.c_str()), const_cast<char*>("--help"), nullptr};
    char* child_env[] = {nullptr};
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::execve(child_argv[0], child_argv, child_env);
    ::_exit(127);
  }
  ::waitpid(pid, nullptr, 0);
  return ms_since(started);
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 50;
  const std::string gateway = argc > 2 ? argv[2] : MOLTBOT_GATEWAY_BIN;
  // HOME (state dir and workspace) under $TMPDIR, else /tmp: the state file's fsync costs what
  // that file system's fsync costs.
  const char* tmp = std::getenv("TMPDIR");
  std::string home_template = std::string(tmp && *tmp ? tmp : "/tmp") + "/moltbot-gateway-bench-XXXXXX";
  const std::string home = ::mkdtemp(home_template.data());
  const int port = free_port_base();
  const std::string port_text = std::to_string(port);
  const std::string home_env = "HOME=" + home;

  std::vector<double> start_ms, rss_mib, stop_ms, help_ms;
  for (int run = 0; run < runs; ++run) {
    help_ms.push_back(help_round_trip_ms(gateway));
    const auto started = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
      char* child_argv[] = {const_cast<char*>(gateway.c_str()), const_cast<char*>("--profile"),
                            const_cast<char*>("bench"), const_cast<char*>("--port"),
                            const_cast<char*>(port_text.c_str()), nullptr};
      char* child_env[] = {const_cast<char*>(home_env.c_str()), nullptr};
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDERR_FILENO);
      ::execve(child_argv[0], child_argv, child_env);
      ::_exit(127);
    }
    // Poll every 100 us: the resolution of the start-up time.
    while (!healthy(port)) {
      if (ms_since(started) > 5000) {
        fmt::print(stderr, "run {}: not healthy after 5 s\n", run);
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    start_ms.push_back(ms_since(started));
    rss_mib.push_back(static_cast<double>(rss_kib(pid)) / 1024.0);

    const auto signalled = Clock::now();
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    stop_ms.push_back(ms_since(signalled));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fmt::print(stderr, "run {}: SIGTERM ended it with wait status {}\n", run, status);
      return 1;
    }
  }
  std::filesystem::remove_all(home);

  fmt::print("moltbot-gateway, {} runs, HOME under {}\n\n", runs, std::filesystem::path(home).parent_path().string());
  fmt::print("| metric | median | p99 | max | target |\n|---|---|---|---|---|\n");
  auto row = [](const char* name, const LatencySummary& s, const char* unit, const char* target) {
    fmt::print("| {} | {:.2f} {} | {:.2f} {} | {:.2f} {} | {} |\n", name, s.p50, unit, s.p99, unit, s.max, unit, target);
  };
  row("fork to exit of `--help` (process creation)", summarize(help_ms), "ms", "-");
  row("fork to /healthz 200", summarize(start_ms), "ms", "< 10 ms");
  row("idle RSS once healthy", summarize(rss_mib), "MiB", "< 4 MiB");
  row("SIGTERM to exit 0", summarize(stop_ms), "ms", "< 1000 ms");
  return 0;
}
