#pragma once
// Test facilities: misbehaviours a supervisor must cope with, switched on only by the
// MOLTBOT_GATEWAY_TEST_FAULTS environment variable (docs/gateway.md, "Test faults"). With the
// variable unset the gateway behaves normally; nothing else turns these on.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace moltbot::gateway {

inline constexpr const char* faults_variable = "MOLTBOT_GATEWAY_TEST_FAULTS";

using Millis = std::chrono::milliseconds;

struct ExitAfter {
  Millis delay{0};
  int code = 0;
};

struct Faults {
  std::optional<ExitAfter> exit_after;       // exit_after=DUR:CODE  (counted from listening)
  bool crash_at_start = false;               // crash_at_start       (abort before anything)
  Millis slow_start{0};                      // slow_start=DUR       (lock held, ports bound late)
  std::optional<Millis> stop_health_after;   // stop_health_after=DUR (requests never answered)
  bool ignore_sigterm = false;               // ignore_sigterm
  bool spawn_helper = false;                 // spawn_helper         (child in its own session)
  int double_fork_helpers = 0;               // double_fork_helpers=N (N helpers detached like setsid -f)
  bool port_squatter = false;                // port_squatter        (a detached helper takes the port later)
  int hold_ports = 0;                        // hold_ports=N         (listen on the first N CDP ports)
  Millis slow_reply{0};                      // slow_reply=DUR       (every reply delayed)
  std::optional<Millis> churn_state;         // churn_state=DUR      (state file rewritten every DUR)
  Millis startup_sidecars{0};                // startup_sidecars=DUR (live but /startupz "starting" for DUR)
  std::optional<Millis> db_writes;           // db_writes=DUR        (a row written to the state database every DUR)
};

struct FaultsResult {
  Faults faults;
  std::optional<std::string> error;  // names the offending item
};

// Comma-separated items as listed above; DUR is written as in the manifest (`250ms`, `2s`, `1m`).
FaultsResult parse_faults(std::string_view spec);

}  // namespace moltbot::gateway
