#include "kubernetes_objects.h"

#include "gateway_container.h"
#include "object_names.h"
#include "probes.h"

namespace moltbot::fleet_export {
namespace {

Object volume_claim(const ProfileVolume& volume, const ExportOptions& options) {
  return {{"metadata", {{"name", volume.name}}},
          {"spec",
           {{"accessModes", Object::array({"ReadWriteOnce"})},
            {"resources", {{"requests", {{"storage", options.storage}}}}}}}};
}

}  // namespace

Object rescue_affinity() {
  const Object main_pods{{"matchLabels", {{name_label, gateway_app}, {component_label, role_name(moltbot::Role::main)}}}};
  const Object term{{"labelSelector", main_pods}, {"topologyKey", "kubernetes.io/hostname"}};
  return {{"podAntiAffinity", {{"requiredDuringSchedulingIgnoredDuringExecution", Object::array({term})}}}};
}

Object stateful_set(const config::Profile& profile, const Object& container, const std::vector<ProfileVolume>& volumes,
                    const ExportOptions& options) {
  Object pod_spec{{"priorityClassName", priority_class_name(profile.role)},
                  {"terminationGracePeriodSeconds", whole_seconds(profile.stop.timeout, 0)}};
  if (profile.role == moltbot::Role::rescue) pod_spec["affinity"] = rescue_affinity();
  if (auto security = pod_security_context(profile); !security.is_null()) pod_spec["securityContext"] = security;
  pod_spec["containers"] = Object::array({container});

  Object claims = Object::array();
  for (const auto& volume : volumes) claims.push_back(volume_claim(volume, options));

  const std::string name = object_name(profile);
  Object spec{{"replicas", profile.autostart ? 1 : 0},  // autostart: false stays stopped until scaled up
              {"serviceName", name},
              {"selector", {{"matchLabels", selector_labels(profile)}}},
              // No `rollout:` in the manifest: a changed pod template waits for the operator to
              // delete the pod, as a changed profile waits for `reload` on one host.
              {"updateStrategy", {{"type", "OnDelete"}}},
              {"template", {{"metadata", {{"labels", labels(profile)}}}, {"spec", pod_spec}}},
              {"volumeClaimTemplates", claims}};
  return {{"apiVersion", "apps/v1"},
          {"kind", "StatefulSet"},
          {"metadata", object_metadata(name, profile, options)},
          {"spec", spec}};
}

Object service(const config::Profile& profile, const ExportOptions& options) {
  Object ports = Object::array();
  for (const auto& named : footprint_ports(profile))
    ports.push_back({{"name", named.name}, {"port", named.port}, {"targetPort", named.name}, {"protocol", "TCP"}});
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", object_metadata(object_name(profile), profile, options)},
          {"spec", {{"selector", selector_labels(profile)}, {"ports", ports}}}};
}

Object secret(const config::Profile& profile, const std::map<std::string, std::string>& values,
              const ExportOptions& options) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", object_metadata(secret_name(profile), profile, options)},
          {"type", "Opaque"},
          {"stringData", values}};
}

Object priority_class(moltbot::Role role) {
  // Rescue above main: under pressure the scheduler preempts a main gateway to place rescue,
  // never the reverse.
  const bool rescue = role == moltbot::Role::rescue;
  return {{"apiVersion", "scheduling.k8s.io/v1"},
          {"kind", "PriorityClass"},
          {"metadata", {{"name", priority_class_name(role)}, {"labels", {{name_label, gateway_app}}}}},
          {"value", rescue ? 2000 : 1000},
          {"globalDefault", false}};
}

}  // namespace moltbot::fleet_export
