#include "moltbot/export/export_fleet.h"

#include "moltbot/common/base64.h"
#include "export_diagnostic.h"
#include "object_names.h"
#include "pod_environment.h"

namespace moltbot::fleet_export {

PodmanSecret podman_secret(const config::Profile& profile) {
  PodmanSecret result{secret_name(profile), {}, {}};
  const PodEnvironment environment = pod_environment(profile);
  if (environment.error) {
    result.diagnostics.push_back(profile_diagnostic(config::Severity::error, "export-env-file", profile, "env_file",
                                                    "env_file cannot be read: " + *environment.error));
    return result;
  }
  if (environment.secret.empty()) return result;
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [name, value] : environment.secret) values[name] = base64_encode(value);
  result.json = values.dump() + "\n";
  return result;
}

}  // namespace moltbot::fleet_export
