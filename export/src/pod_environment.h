#pragma once
// A profile's environment in a pod: what the supervisor would set from the profile itself
// (config::child_environment without the supervisor's own environment, which belongs to this
// host) goes inline into the container; every env_file value and every secret-named `env`
// value (config::is_secret_name) goes into the profile's Secret, never inline.
#include <map>
#include <optional>
#include <string>

#include "moltbot/config/manifest.h"

namespace moltbot::fleet_export {

struct PodEnvironment {
  std::map<std::string, std::string> inline_env;
  std::map<std::string, std::string> secret;
  std::optional<std::string> error;  // env_file unreadable or malformed: names file and line
};

PodEnvironment pod_environment(const config::Profile& profile);

}  // namespace moltbot::fleet_export
