#include "podman_objects.h"

#include "gateway_container.h"
#include "object_names.h"
#include "probes.h"

namespace moltbot::fleet_export {

Object podman_pod(const config::Profile& profile, const Object& container, const std::vector<ProfileVolume>& volumes,
                  const ExportOptions& options) {
  Object host_folders = Object::array();
  for (const auto& volume : volumes)
    host_folders.push_back({{"name", volume.name}, {"hostPath", {{"path", volume.path}, {"type", "DirectoryOrCreate"}}}});
  Object spec{{"restartPolicy", "Always"},
              {"terminationGracePeriodSeconds", whole_seconds(profile.stop.timeout, 0)},
              {"containers", Object::array({container})},
              {"volumes", host_folders}};
  if (auto security = pod_security_context(profile); !security.is_null()) spec["securityContext"] = security;
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", object_metadata(object_name(profile), profile, options)},
          {"spec", spec}};
}

}  // namespace moltbot::fleet_export
