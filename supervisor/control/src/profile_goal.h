#pragma once
// Waiting, from the event loop, for one profile to reach a state a restore needs (stopped, or
// started and healthy), told through the fleet's events with a deadline; for steps of the
// supervisor's own, where ProfileWait (profile_wait.h) answers a client.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "moltbot/control/fleet_commands.h"

namespace moltbot::control {

enum class ProfileGoal {
  at_rest,  // stopped or fatal
  running,  // running; fatal, stopped or backoff (its gateway exited) is a failure
};

// `done` gets nothing once the goal is reached, else why not (a failure, the deadline, the profile
// gone in a reload); always later, from the loop.
void await_profile(const FleetCommandContext& context, const std::string& profile, ProfileGoal goal,
                   std::chrono::milliseconds timeout, std::function<void(std::optional<std::string>)> done);

}  // namespace moltbot::control
