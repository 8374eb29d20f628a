#pragma once
// The marker a gateway passes on to every process it starts: two variables in its environment
// saying which profile of which supervisor it belongs to. An orphan the supervisor adopts as child
// subreaper (a helper that double-forked out of the gateway's tree) is attributed to its profile
// through it where no cgroup tracks the profile's processes (orphan_attribution.h).
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "moltbot/common/environment.h"

namespace moltbot::runtime {

inline constexpr const char* marker_profile_variable = "MOLTBOT_SUPERVISOR_PROFILE";
inline constexpr const char* marker_instance_variable = "MOLTBOT_SUPERVISOR_INSTANCE";

// A new supervisor instance id: 32 hex digits, different for every supervisor process.
std::string new_instance_id();

// Sets both variables in a child's environment.
void add_marker(Environment& env, const std::string& profile, const std::string& instance);

// The profile named by the marker in the environment `pid` was started with, when its instance
// is `instance`; nullopt for no marker, another supervisor's, or an unreadable environment.
std::optional<std::string> marked_profile(pid_t pid, std::string_view instance);

}  // namespace moltbot::runtime
