#pragma once
// A profile's Kubernetes objects: a StatefulSet of one replica (stable identity, its state on
// PersistentVolumeClaims), a Service over its named ports, a Secret with its env_file and
// secret-named values; and the PriorityClasses that let the scheduler evict main before rescue.
#include <map>
#include <string>

#include "moltbot/config/manifest.h"
#include "moltbot/export/export_fleet.h"
#include "volumes.h"

namespace moltbot::fleet_export {

Object stateful_set(const config::Profile& profile, const Object& container, const std::vector<ProfileVolume>& volumes,
                    const ExportOptions& options);
Object service(const config::Profile& profile, const ExportOptions& options);
Object secret(const config::Profile& profile, const std::map<std::string, std::string>& values,
              const ExportOptions& options);
Object priority_class(moltbot::Role role);

// Scheduling a rescue pod: never on a node that runs a main gateway of the fleet, and above
// main's priority. Shared with nothing else: podman runs on one host and schedules nothing.
Object rescue_affinity();

}  // namespace moltbot::fleet_export
