#pragma once
// Running the real moltbot-supervisord on a manifest in a temporary dir, with the bundled
// moltbot-gateway on free loopback port blocks, observed through its status file (--status-file),
// its stderr, the profile logs and /proc. The destructor kills the supervisor, every process of
// the fleet (processes()), every other one the test saw and whatever is left in the profiles'
// cgroups, and removes those, so a failing test leaves no process and no cgroup behind: gateways
// adopted after a crash and helpers that left their gateway's tree included.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "moltbot/test/child_process.h"
#include "moltbot/test/temp_dir.h"

namespace moltbot::test {

inline constexpr std::chrono::milliseconds state_deadline{15000};

struct ProfileOptions {
  std::string role = "main";
  std::string faults;                            // MOLTBOT_GATEWAY_TEST_FAULTS, empty for none
  std::map<std::string, std::string> overrides;  // top-level profile keys as YAML text: restart, health, stop
};

inline ProfileOptions main_profile(std::string faults = {}, std::map<std::string, std::string> overrides = {}) {
  return {"main", std::move(faults), std::move(overrides)};
}
inline ProfileOptions rescue_profile(std::string faults = {}, std::map<std::string, std::string> overrides = {}) {
  return {"rescue", std::move(faults), std::move(overrides)};
}

using Profiles = std::map<std::string, ProfileOptions>;

// What a test adds to the way a supervisor is started.
struct SupervisorLaunch {
  std::map<std::string, std::string> env;    // on top of HOME and PATH
  std::vector<std::string> args;             // after --manifest and --status-file
  std::vector<std::string> own_pid_variables;  // set to the supervisor's own pid (WATCHDOG_PID)
  // Initialized here, so launches written as {env, args, own_pid_variables} stay complete.
  std::optional<int> open_files = std::nullopt;  // its RLIMIT_NOFILE, soft and hard (`ulimit -n`)
  std::optional<std::filesystem::path> status_file = std::nullopt;  // instead of status-N.json in the fixture's dir
  std::filesystem::path cgroup = {};  // started in this cgroup, as a service manager would
  std::filesystem::path program = {};  // instead of the built moltbot-supervisord
  // Become its descriptors 3, 4, ... as a service manager passes its file-descriptor store. With
  // the emulated store (notify_listener.h): `auto stored = listener.stored();`, env gets
  // NOTIFY_SOCKET and stored.listen_env(), own_pid_variables {"LISTEN_PID"}, passed_fds stored.fds.
  std::vector<int> passed_fds = {};
};

class SupervisorFixture {
 public:
  // Each profile gets its own free port block.
  explicit SupervisorFixture(const Profiles& profiles);
  ~SupervisorFixture();
  SupervisorFixture(const SupervisorFixture&) = delete;
  SupervisorFixture& operator=(const SupervisorFixture&) = delete;

  // (Re)writes the manifest; a profile keeps its port block, a new one gets a free one.
  void write_manifest(const Profiles& profiles);

  // Lines added to the manifest's `supervisor:` section ("  metrics: 127.0.0.1:9464\n"), from
  // the next write_manifest() on.
  std::string supervisor_yaml;

  TempDir dir{"moltbot-supervisor-test"};
  std::filesystem::path manifest;
  std::map<std::string, int> ports;  // profile -> gateway port
  // A free port outside every profile's block, which no later profile's block will cover either
  // (the supervisor refuses a metrics port inside a profile's CDP range).
  int spare_port();
  // The control socket every supervisor of this fixture listens on.
  std::filesystem::path control_socket() const { return dir.path() / "control.sock"; }

  // Starts a supervisor on the manifest; several may run (the second one should refuse).
  ChildProcess& start_supervisor(const SupervisorLaunch& launch = {});
  ChildProcess& supervisor() { return *supervisors_.back(); }

  // The profile's entry of the status file of the last supervisor (null when there is none yet).
  nlohmann::json status(const std::string& profile);
  const std::filesystem::path& status_file() const { return status_files_.back(); }
  // Waits until the profile's status satisfies `condition`.
  bool wait_status(const std::string& profile, const std::function<bool(const nlohmann::json&)>& condition,
                   std::chrono::milliseconds timeout = state_deadline);
  bool wait_state(const std::string& profile, const std::string& state,
                  std::chrono::milliseconds timeout = state_deadline);
  // The pid of the profile's running, healthy gateway, after waiting for it.
  pid_t running_pid(const std::string& profile);

  // The gateway's own /status (null when it does not answer).
  nlohmann::json gateway_status(const std::string& profile);
  // The helpers the gateway detached (fault double_fork_helpers), from its /status.
  std::vector<pid_t> detached_helpers(const std::string& profile);
  std::string profile_log(const std::string& profile) const;

  // Remembers a process to kill at teardown (a helper the test learned about, ...).
  void track(pid_t pid) { tracked_.insert(pid); }

  // The live processes of this fleet: whoever carries the supervisor's HOME (the fixture's temp
  // dir) in its environment, i.e. the supervisors and everything they started, orphans included.
  std::vector<pid_t> processes() const;

 private:
  std::vector<std::unique_ptr<ChildProcess>> supervisors_;
  std::vector<std::filesystem::path> status_files_;  // of each supervisor
  std::set<pid_t> tracked_;
  std::set<int> spare_ports_;
};

// Alive and not a zombie.
bool process_alive(pid_t pid);

// The "NAME=value" entries of /proc/PID/environ.
std::set<std::string> environment_of(pid_t pid);

// The cgroup a supervisor recorded for the profile of `state_dir` (supervisor.cgroup); empty
// when there is none.
std::filesystem::path recorded_cgroup(const std::filesystem::path& state_dir);
// Kills what is left in that cgroup and removes it, as the next supervisor would: for tests that
// killed a supervisor.
void remove_profile_cgroup(const std::filesystem::path& state_dir);

}  // namespace moltbot::test
