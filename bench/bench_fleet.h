#pragma once
// What the benchmarks with a real moltbot-supervisord over bundled gateways share: a manifest of N
// six-port footprints (the five named ports and a one-port `browser.cdp_port_range`: 500 default
// footprints of 111 ports would not fit below 32768) and the supervisor run on it.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "moltbot/test/temp_dir.h"

namespace moltbot::bench {

using Clock = std::chrono::steady_clock;

inline constexpr int footprint = 6;

// An execve argv over `args`, which must outlive it.
std::vector<char*> argv_of(std::vector<std::string>& args);

// The first of enough free consecutive ports for `profiles` six-port footprints.
int free_port_block_for(int profiles);

// A fleet's footprints and, right after them, a port for the supervisor's /metrics, found free as
// one block: two separate searches may hand out the same still-unbound port twice.
struct FleetPorts {
  int base = 0;
  int metrics = 0;
};
FleetPorts free_fleet_ports(int profiles);

double ms_between(Clock::time_point from, Clock::time_point to);

// A blocking TCP connection to 127.0.0.1:`port`: its descriptor, or -1 when refused.
int loopback_connect(int port);

struct FleetShape {
  int profiles = 1;
  std::string health = "{}";  // merged over the spec defaults (interval 5s)
  std::string restart = "{}";
  int metrics_port = 0;  // supervisor.metrics on 127.0.0.1; 0: off
};

// A fleet manifest of `shape.profiles` gateways on consecutive six-port footprints.
std::filesystem::path write_manifest(const test::TempDir& dir, const FleetShape& shape, int base_port);

// The real supervisor on a manifest, in its own process group. Its gateways die with it
// (PR_SET_PDEATHSIG); the destructor also kills by pid every gateway it was seen running.
class Supervisor {
 public:
  Supervisor(const test::TempDir& dir, const std::filesystem::path& manifest);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  pid_t pid() const { return pid_; }
  Clock::time_point started() const { return started_; }

  // The status file's array (empty while there is none).
  nlohmann::json status();
  // Polls the status file until every profile is `running`; the time it was first seen so.
  std::optional<Clock::time_point> wait_all_running(std::size_t profiles, std::chrono::seconds timeout);
  bool wait_exit(std::chrono::seconds timeout);

 private:
  std::filesystem::path status_path_;
  pid_t pid_ = 0;
  Clock::time_point started_;
  std::set<pid_t> seen_;
};

}  // namespace moltbot::bench
