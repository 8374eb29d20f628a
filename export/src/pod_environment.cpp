#include "pod_environment.h"

#include "moltbot/common/env_file.h"
#include "moltbot/config/child_environment.h"

namespace moltbot::fleet_export {

PodEnvironment pod_environment(const config::Profile& profile) {
  config::Profile identity_only = profile;
  identity_only.env.clear();
  identity_only.env_file.reset();
  // In-process restarts: in a pod nobody consumes a restart handoff, and the container's restart
  // policy is the supervisor.
  PodEnvironment result;
  result.inline_env = config::child_environment(identity_only, {}, config::RestartMode::in_process).env;

  if (profile.env_file) {
    EnvFile file = read_env_file(*profile.env_file);
    if (file.error) {
      result.error = std::move(file.error);
      return result;
    }
    for (auto& entry : file.entries) result.secret[entry.name] = std::move(entry.value);
  }
  // `env` wins over env_file, as for the supervisor's children; in a pod `env` also wins over
  // `envFrom`, so a plain `env` value that env_file sets too needs no special case.
  for (const auto& [name, value] : profile.env) {
    if (config::is_secret_name(name))
      result.secret[name] = value;
    else
      result.inline_env[name] = value;
  }
  return result;
}

}  // namespace moltbot::fleet_export
