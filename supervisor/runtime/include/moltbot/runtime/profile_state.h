#pragma once
// What the outside (status file, control socket, sd_notify) sees of a profile: its public state,
// a status snapshot and the events a runner emits.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/common/profile_defaults.h"
#include "moltbot/config/manifest.h"
#include "moltbot/runtime/exit_status.h"
#include "moltbot/runtime/resource_sampler.h"

namespace moltbot::runtime {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

enum class State { stopped, starting, running, unhealthy, backoff, stopping, fatal };

const char* to_string(State state);

struct LastExit {
  std::optional<ExitStatus> status;  // empty when the child never ran (spawn failed)
  std::string reason;                // "exit status 1", "health check failed 3 times: timed out ..."
};

// Where a profile stands in a rolling reload (rollout.h).
struct RolloutMark {
  std::string phase;  // "replacing", "queued", "rolling back"
  std::optional<std::chrono::milliseconds> elapsed;   // of "replacing"
  std::optional<std::chrono::milliseconds> deadline;  // of "replacing"
};

struct ProfileStatus {
  std::string name;
  Role role = Role::main;
  State state = State::stopped;
  std::string reason;                // why it is in this state, for humans
  pid_t pid = 0;                     // 0 when no child runs
  int restarts = 0;                  // failures and operator restarts, since the supervisor started or the last reset
  int planned_restarts = 0;          // restarts the gateway asked for with a handoff (not failures)
  std::string restart_mode;          // "external" or "in-process", as the next start will use it
  std::string restart_mode_detail;   // why: the handoff capabilities probe's answer
  std::optional<std::chrono::milliseconds> uptime;  // of the running child
  std::optional<LastExit> last_exit;
  std::string health;                // "unknown", "healthy", "failing: <detail>", "not checked"
  std::string readiness;             // "unknown", "ready", "not ready: <detail>", "not checked"
  config::ProfilePorts ports;
  std::vector<std::string> last_lines;  // the child's last output lines, kept when fatal
  std::optional<RolloutMark> rollout;   // while a rolling reload concerns it
  std::optional<ResourceSample> resources;  // only where asked for (Fleet::measure)
};

struct ProfileEvent {
  // reload: the profile joined the fleet, left it, or was re-created from its changed entry
  // (the message says which); previous and current are its state then.
  // planned_restart: the gateway exited for a restart it asked for, and its handoff was consumed.
  // rollout: a step of a rolling reload (rollout.h); previous and current are the state then.
  enum class Kind { state, readiness, reload, planned_restart, rollout };
  Kind kind = Kind::state;
  std::string profile;
  State previous = State::stopped;
  State current = State::stopped;
  std::string message;  // the reason of the transition, the readiness change, or what a reload did
};

}  // namespace moltbot::runtime
