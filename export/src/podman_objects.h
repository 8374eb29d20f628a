#pragma once
// A profile as a Pod that `podman kube play` runs on this host: the container's ports published
// on 127.0.0.1 at the same numbers (the manifest's port-set proof still applies) and its
// folders bind-mounted from the same host paths the supervisor would use.
#include <vector>

#include "moltbot/config/manifest.h"
#include "moltbot/export/export_fleet.h"
#include "volumes.h"

namespace moltbot::fleet_export {

Object podman_pod(const config::Profile& profile, const Object& container, const std::vector<ProfileVolume>& volumes,
                  const ExportOptions& options);

}  // namespace moltbot::fleet_export
