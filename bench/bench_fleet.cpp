#include "bench_fleet.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "moltbot/test/ports.h"

namespace moltbot::bench {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return argv;
}

int free_port_block_for(int profiles) { return test::find_free_port_block(profiles * footprint); }

FleetPorts free_fleet_ports(int profiles) {
  const int base = test::find_free_port_block(profiles * footprint + 1);
  return {base, base + profiles * footprint};
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

int loopback_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) return fd;
  ::close(fd);
  return -1;
}

fs::path write_manifest(const test::TempDir& dir, const FleetShape& shape, int base_port) {
  std::ostringstream yaml;
  yaml << "version: 1\nsupervisor:\n  log_dir: ./logs\n  socket: ./supervisord.sock\n"
       << (shape.metrics_port ? fmt::format("  metrics: 127.0.0.1:{}\n", shape.metrics_port) : "") << "defaults:\n"
       << "  command: [\"" MOLTBOT_GATEWAY_BIN "\", --profile, \"{profile}\", --port, \"{port}\"]\n"
       << "  health: " << shape.health << "\n  restart: " << shape.restart << "\nprofiles:\n";
  for (int i = 0; i < shape.profiles; ++i) {
    int port = base_port + i * footprint;
    yaml << fmt::format(
        "  p{0}:\n    port: {1}\n    state_dir: ./p{0}/state\n    config_path: ./p{0}/state/clawdbot.json\n"
        "    workspace: ./p{0}/workspace\n    browser: {{cdp_port_range: [{2}, {2}]}}\n",
        i, port, port + 5);
  }
  auto path = dir.path() / "fleet.yaml";
  std::ofstream(path) << yaml.str();
  return path;
}

Supervisor::Supervisor(const test::TempDir& dir, const fs::path& manifest) : status_path_(dir.path() / "status.json") {
  std::string log = (dir.path() / "supervisord.log").string();
  std::string home = "HOME=" + dir.path().string();
  std::vector<std::string> args{MOLTBOT_SUPERVISORD_BIN, "--manifest", manifest.string(), "--status-file",
                                status_path_.string()};
  started_ = Clock::now();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(out, 2);
    auto argv = argv_of(args);
    char path_var[] = "PATH=/usr/bin:/bin";
    char* envp[] = {home.data(), path_var, nullptr};
    ::execve(argv[0], argv.data(), envp);
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
}

Supervisor::~Supervisor() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (!wait_exit(60s)) {
      ::kill(-pid_, SIGKILL);
      wait_exit(10s);
    }
  }
  for (pid_t child : seen_)
    if (::kill(child, 0) == 0) ::kill(child, SIGKILL);
}

nlohmann::json Supervisor::status() {
  auto all = nlohmann::json::parse(test::read_file(status_path_), nullptr, false);
  if (!all.is_array()) return nlohmann::json::array();
  for (const auto& entry : all)
    if (entry["pid"].is_number()) seen_.insert(entry["pid"].get<pid_t>());
  return all;
}

std::optional<Clock::time_point> Supervisor::wait_all_running(std::size_t profiles, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {  // it gave up (its log says why)
      pid_ = 0;
      return std::nullopt;
    }
    auto all = status();
    if (all.size() == profiles &&
        std::all_of(all.begin(), all.end(), [](const auto& entry) { return entry["state"] == "running"; }))
      return Clock::now();
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

bool Supervisor::wait_exit(std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = 0;
      return true;
    }
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

}  // namespace moltbot::bench
