#pragma once
// The fleet every fault of the matrix is injected into: main, rescue and three more profiles
// (alpha, beta, gamma) of the bundled gateway under a real moltbot-supervisord, observed over
// its control socket.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "../supervisor_fixture.h"

namespace moltbot::test::fault_matrix {

using nlohmann::json;

class FaultFleet {
 public:
  static const std::vector<std::string> names;  // main, rescue, alpha, beta, gamma

  // `changes` replaces the options of the profiles it names (faults, restart, stop, ...).
  explicit FaultFleet(const Profiles& changes = {});

  SupervisorFixture fixture;

  // Starts a supervisor, waits until every profile but those in `not_running` runs and notes
  // their pids (see check_untouched).
  ChildProcess& start(const std::set<std::string>& not_running = {}, const SupervisorLaunch& launch = {});
  // start() in two steps: a supervisor answering on its control socket (nothing sent on it yet),
  // then every profile but those in `not_running` running, their pids noted.
  ChildProcess& launch(const SupervisorLaunch& launch = {});
  void wait_running(const std::set<std::string>& not_running = {});

  // One request on a fresh control connection: the whole reply, or null when none came.
  json request(const std::string& command, const json& args = json::object());
  // The `status` entry of one profile over the control socket (null when there is none).
  json status(const std::string& profile);
  bool wait(const std::string& profile, const std::function<bool(const json&)>& condition,
            std::chrono::milliseconds timeout = state_deadline);
  bool wait_state(const std::string& profile, const std::string& state,
                  std::chrono::milliseconds timeout = state_deadline);
  // Waits for the profile to run with a pid other than `old_pid`; its pid, or 0.
  pid_t wait_new_pid(const std::string& profile, pid_t old_pid, std::chrono::milliseconds timeout = state_deadline);

  pid_t pid_at_start(const std::string& profile) const { return pids_at_start_.at(profile); }
  // Every profile not in `faulty` still runs on the pid it had at start(), was never restarted and
  // answers /healthz; recorded as an observation.
  void check_untouched(const std::set<std::string>& faulty);

  std::vector<pid_t> processes() const { return fixture.processes(); }

 private:
  std::map<std::string, pid_t> pids_at_start_;
};

// The gateway pid behind a profile's port, as the gateway itself reports it (/status), 0 if none.
pid_t gateway_pid(int port);
// /proc/PID/cmdline as one string, arguments separated by spaces.
std::string command_line(pid_t pid);
// How often `what` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& what);
// Milliseconds since `start`, for observations.
long long ms_since(std::chrono::steady_clock::time_point start);

}  // namespace moltbot::test::fault_matrix
