// The control socket of a running fleet: the real moltbot-supervisord with 100 healthy bundled
// gateways, then `status` (all 100 profiles) over the Unix socket, on one connection and with a
// connection per request, and `moltbot-supervisorctl status` as a whole process.
//
// Profiles take six ports each (the five named ones and a one-port `browser.cdp_port_range`), on
// free loopback ports below 32768, in a fresh temporary dir. The bench is the only client.
//
// usage: control_bench [REQUESTS [CTL_RUNS]]   (default 2000 and 100; exit 1 if p50 >= 0.5 ms)
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "moltbot/test/child_process.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/temp_dir.h"
#include "moltbot/test/wait_until.h"

#include "latency_summary.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using moltbot::bench::LatencySummary;
using moltbot::bench::summarize;
using namespace std::chrono_literals;

constexpr int profiles = 100;
constexpr int footprint = 6;
constexpr double target_p50_ms = 0.5;
const std::string status_request = R"({"version":1,"command":"status"})"
                                   "\n";

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

fs::path write_manifest(const moltbot::test::TempDir& dir, int base_port) {
  std::ostringstream yaml;
  yaml << "version: 1\nsupervisor:\n  log_dir: ./logs\n  socket: ./control.sock\ndefaults:\n"
       << "  command: [\"" MOLTBOT_GATEWAY_BIN "\", --profile, \"{profile}\", --port, \"{port}\"]\n"
       << "profiles:\n";
  for (int i = 0; i < profiles; ++i) {
    int port = base_port + i * footprint;
    yaml << fmt::format(
        "  p{0}:\n    port: {1}\n    state_dir: ./p{0}/state\n    config_path: ./p{0}/state/clawdbot.json\n"
        "    workspace: ./p{0}/workspace\n    browser: {{cdp_port_range: [{2}, {2}]}}\n",
        i, port, port + 5);
  }
  return dir.write("fleet.yaml", yaml.str());
}

// A blocking client of the control socket: one request line out, one reply line back.
class Connection {
 public:
  explicit Connection(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      const int error = errno;
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("cannot connect to " + path + ": " + std::strerror(error));
    }
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The reply line, without its newline.
  std::string ask(const std::string& request) {
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
      throw std::runtime_error("send failed");
    for (;;) {
      if (auto newline = buffer_.find('\n'); newline != std::string::npos) {
        auto line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      char chunk[65536];
      auto got = ::read(fd_, chunk, sizeof chunk);
      if (got <= 0) throw std::runtime_error("the supervisor closed the connection");
      buffer_.append(chunk, static_cast<std::size_t>(got));
    }
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

bool all_running(const std::string& socket) {
  try {
    auto reply = nlohmann::json::parse(Connection(socket).ask(status_request));
    const auto& data = reply["data"];
    return data.size() == profiles &&
           std::all_of(data.begin(), data.end(), [](const auto& entry) { return entry["state"] == "running"; });
  } catch (const std::exception&) {
    return false;  // not listening yet
  }
}

std::vector<double> time_each(int runs, const std::function<void()>& once) {
  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(runs));
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    once();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return ms;
}

// Runs a program to its end with output to /dev/null; throws unless it exits 0.
void run_quietly(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  char path_var[] = "PATH=/usr/bin:/bin";
  char* envp[] = {path_var, nullptr};
  pid_t pid = 0;
  int failed = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  if (failed) throw std::runtime_error(args[0] + ": " + std::strerror(failed));
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(args[0] + " failed");
}

void print_row(const std::string& what, int runs, const LatencySummary& summary) {
  fmt::print("| {} | {} | {:.3f} ms | {:.3f} ms | {:.3f} ms |\n", what, runs, summary.p50, summary.p99, summary.max);
}

}  // namespace

int main(int argc, char** argv) {
  const int requests = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int ctl_runs = argc > 2 ? std::atoi(argv[2]) : 100;
  ::signal(SIGPIPE, SIG_IGN);
  try {
    moltbot::test::TempDir dir("control-bench");
    auto manifest = write_manifest(dir, moltbot::test::find_free_port_block(profiles * footprint));
    const std::string socket = (dir.path() / "control.sock").string();
    moltbot::test::ChildProcess supervisor({{MOLTBOT_SUPERVISORD_BIN, "--manifest", manifest.string()},
                                            {{"HOME", dir.path().string()}, {"PATH", "/usr/bin:/bin"}},
                                            std::nullopt,
                                            dir.path(),
                                            "supervisord"});
    if (!moltbot::test::wait_until([&] { return all_running(socket); }, 300s, 50ms))
      throw std::runtime_error("not all " + std::to_string(profiles) + " profiles running after 300 s");

    const std::string load_before = load_average();
    Connection connection(socket);
    const auto reply_bytes = connection.ask(status_request).size() + 1;
    const double cpu_before = moltbot::test::cpu_time_ms(supervisor.pid());
    auto one_connection = summarize(time_each(requests, [&] { connection.ask(status_request); }));
    const double cpu_per_request = (moltbot::test::cpu_time_ms(supervisor.pid()) - cpu_before) / requests;
    auto per_request = summarize(time_each(requests, [&] { Connection(socket).ask(status_request); }));
    const std::vector<std::string> ctl{MOLTBOT_SUPERVISORCTL_BIN, "--socket", socket, "status"};
    const std::vector<std::string> ctl_help{MOLTBOT_SUPERVISORCTL_BIN, "--help"};
    auto ctl_status = summarize(time_each(ctl_runs, [&] { run_quietly(ctl); }));
    auto ctl_process = summarize(time_each(ctl_runs, [&] { run_quietly(ctl_help); }));

    fmt::print("## Control socket: `status` of {} running profiles ({} bytes per reply)\n\n", profiles, reply_bytes);
    fmt::print("load average before: {}, after: {}\n\n", load_before, load_average());
    fmt::print("supervisor CPU per request on one connection (utime + stime): {:.3f} ms\n\n", cpu_per_request);
    fmt::print("| measurement | runs | p50 | p99 | max |\n|---|---:|---:|---:|---:|\n");
    print_row("round trip, one connection for all requests", requests, one_connection);
    print_row("round trip, a new connection per request", requests, per_request);
    print_row("`moltbot-supervisorctl status` as a process", ctl_runs, ctl_status);
    print_row("`moltbot-supervisorctl --help` as a process (process creation)", ctl_runs, ctl_process);
    const bool met = one_connection.p50 < target_p50_ms;
    fmt::print("\ntarget: p50 round trip under {} ms on one connection: {} ({:.3f} ms)\n", target_p50_ms,
               met ? "met" : "MISSED", one_connection.p50);
    return met ? 0 : 1;
  } catch (const std::exception& error) {
    fmt::print(stderr, "control_bench: {}\n", error.what());
    return 2;
  }
}
