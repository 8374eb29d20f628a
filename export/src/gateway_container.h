#pragma once
// The one container of a profile's pod: image, command, working dir, environment (Secret by
// envFrom), the footprint's named ports, probes, volume mounts, and limits.memory and limits.cpus
// as resources.limits (the requests follow the limits, as Kubernetes defaults them: with both
// set the pod is Guaranteed, last in the kubelet's OOM order).
#include <string>
#include <vector>

#include "moltbot/config/manifest.h"
#include "moltbot/export/export_fleet.h"
#include "pod_environment.h"
#include "probes.h"
#include "volumes.h"

namespace moltbot::fleet_export {

struct ContainerParts {
  std::vector<std::string> command;
  const PodEnvironment& environment;
  Probes probes;
  const std::vector<ProfileVolume>& volumes;
};

// Port names are IANA_SVC_NAMEs: at most 15 characters, lowercase. The CDP range stays inside
// the pod (the gateway's browser talks to it over loopback) and is not listed.
struct NamedPort {
  const char* name;
  int port;
};
std::vector<NamedPort> footprint_ports(const config::Profile& profile);

// With `user:` the container keeps no capability and cannot gain privileges, as the supervisor's
// spawn does (no_new_privs, an empty bounding set).
Object gateway_container(const config::Profile& profile, const ContainerParts& parts, const ExportOptions& options);

// The pod's securityContext for a profile with `user:`: the uid, gid and supplementary groups the
// supervisor would switch its gateway to (its state dir and workspace are that user's); null
// without `user:`, when the image's user runs it.
Object pod_security_context(const config::Profile& profile);

}  // namespace moltbot::fleet_export
