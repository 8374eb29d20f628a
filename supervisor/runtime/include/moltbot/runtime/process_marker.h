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
// Whether `text` is one (a record naming anything else is not ours: it also names a cgroup dir).
bool is_instance_id(std::string_view text);

// Sets both variables in a child's environment.
void add_marker(Environment& env, const std::string& profile, const std::string& instance);

struct MarkerReading {
  // False when the environment cannot be read now: the process is gone, or in the middle of an
  // exec (its environment reads empty until the new program's is set up).
  bool readable = false;
  std::optional<std::string> profile;  // named by a marker of the given instance
};

// The marker in the environment of `pid`, if it is one of `instance`'s.
MarkerReading read_marker(pid_t pid, std::string_view instance);

}  // namespace moltbot::runtime
