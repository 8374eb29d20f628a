#pragma once
// A validated fleet manifest as objects of another engine (docs/kubernetes.md): for Kubernetes a
// StatefulSet of one replica, a Service and (with secrets) a Secret per profile, and the
// PriorityClasses that rank rescue above main; for podman one Pod per profile with loopback
// host ports and host folders, which `podman kube play` runs on this host. What the target
// cannot express is a diagnostic at the manifest line it comes from, never dropped silently.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::fleet_export {

enum class Target { kubernetes, podman };

struct ExportOptions {
  Target target = Target::kubernetes;
  std::optional<std::string> namespace_name;  // metadata.namespace of every namespaced object
  std::string image;                          // the container image of every gateway
  std::string storage = "1Gi";                // the request of each PersistentVolumeClaim (kubernetes)
};

using Object = nlohmann::ordered_json;

struct FleetExport {
  // Errors mean `objects` is empty: nothing half-exported.
  config::Diagnostics diagnostics;
  std::vector<Object> objects;
};

// `manifest` must be valid (config::check_manifest without errors).
FleetExport export_fleet(const config::Manifest& manifest, const ExportOptions& options);

// The objects as one multi-document YAML stream ("---" between documents).
std::string render_yaml(const std::vector<Object>& objects);

// podman 4.3's `kube play` cannot read a Secret object back for envFrom (it stores the YAML,
// then expects JSON), so on podman a profile's secrets are created beforehand with
// `podman secret create NAME -` from this text: a JSON object of NAME: base64(value).
// Empty when the profile has no secrets; an error diagnostic when its env_file cannot be read.
struct PodmanSecret {
  std::string name;  // what the profile's Pod refers to
  std::string json;  // empty when there is nothing secret
  config::Diagnostics diagnostics;
};
PodmanSecret podman_secret(const config::Profile& profile);

}  // namespace moltbot::fleet_export
