#pragma once
// What /metrics says (docs/metrics.md): every profile's state, restarts, exits, probe durations,
// readiness and resources (measured as `status` measures them, at most once a second), each with
// `profile` and `role` labels, and the supervisor's own figures.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "moltbot/runtime/fleet.h"

namespace moltbot::metrics {

// What the daemon counts about itself.
struct SupervisorCounters {
  std::map<std::string, std::uint64_t> reloads;  // by outcome: applied, unreadable, invalid, refused, ...
  // Control requests by command (control::CommandRegistry::requests); none before the socket is open.
  std::function<std::map<std::string, std::uint64_t, std::less<>>()> control_requests;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
};

// The whole exposition, at this moment.
std::string render_fleet_metrics(runtime::Fleet& fleet, const SupervisorCounters& counters);

}  // namespace moltbot::metrics
