#pragma once
// The container's command: the manifest's `command` with its placeholders expanded, made to
// listen beyond the pod's loopback (a probe or a Service reaches the pod's address, never its
// 127.0.0.1), with what it cannot carry into a pod reported.
#include <optional>
#include <string>
#include <vector>

#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"
#include "volumes.h"

namespace moltbot::fleet_export {

// Nothing when the command cannot be used (an error in `diagnostics`).
std::optional<std::vector<std::string>> container_command(const config::Profile& profile,
                                                          const std::vector<ProfileVolume>& volumes,
                                                          config::Diagnostics& diagnostics);

// Arguments that are absolute paths outside the profile's volumes: only the image can have them.
void report_host_paths(const config::Profile& profile, const std::string& field, const std::vector<std::string>& argv,
                       const std::vector<ProfileVolume>& volumes, config::Diagnostics& diagnostics);

}  // namespace moltbot::fleet_export
