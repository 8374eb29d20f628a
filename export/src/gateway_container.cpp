#include "gateway_container.h"

#include <cmath>

#include "object_names.h"

namespace moltbot::fleet_export {
namespace {

Object container_port(const NamedPort& named, Target target) {
  Object port{{"name", named.name}, {"containerPort", named.port}, {"protocol", "TCP"}};
  // On one host the pod's ports are the host's loopback ports the manifest checked, so the
  // fleet's port-set proof still holds; nothing is opened beyond loopback.
  if (target == Target::podman) {
    port["hostPort"] = named.port;
    port["hostIP"] = "127.0.0.1";
  }
  return port;
}

Object environment_list(const std::map<std::string, std::string>& env) {
  Object list = Object::array();
  for (const auto& [name, value] : env) list.push_back({{"name", name}, {"value", value}});
  return list;
}

// A Kubernetes quantity: whole GiB or MiB when it is one, else bytes.
std::string memory_quantity(std::uint64_t bytes) {
  constexpr std::uint64_t mebibyte = 1024 * 1024;
  constexpr std::uint64_t gibibyte = 1024 * mebibyte;
  if (bytes % gibibyte == 0) return std::to_string(bytes / gibibyte) + "Gi";
  if (bytes % mebibyte == 0) return std::to_string(bytes / mebibyte) + "Mi";
  return std::to_string(bytes);
}

Object container_resources(const config::Limits& limits) {
  Object bounds = Object::object();
  if (limits.memory) bounds["memory"] = memory_quantity(*limits.memory);
  if (limits.cpus) bounds["cpu"] = std::to_string(static_cast<long>(std::ceil(*limits.cpus * 1000))) + "m";
  if (bounds.empty()) return nullptr;
  return {{"limits", bounds}};
}

}  // namespace

std::vector<NamedPort> footprint_ports(const config::Profile& profile) {
  const config::ProfilePorts& ports = profile.ports;
  return {{"gateway", ports.gateway},
          {"bridge", ports.bridge},
          {"browser-control", ports.browser_control},
          {"relay", ports.extension_relay},
          {"canvas", ports.canvas}};
}

Object gateway_container(const config::Profile& profile, const ContainerParts& parts, const ExportOptions& options) {
  Object container{{"name", "gateway"}, {"image", options.image}, {"command", parts.command}};
  container["workingDir"] = profile.state_dir;  // where the supervisor starts it too
  container["env"] = environment_list(parts.environment.inline_env);
  if (!parts.environment.secret.empty()) {
    const Object secret_ref{{"secretRef", {{"name", secret_name(profile)}}}};
    container["envFrom"] = Object::array({secret_ref});
  }
  Object ports = Object::array();
  for (const auto& named : footprint_ports(profile)) ports.push_back(container_port(named, options.target));
  container["ports"] = ports;
  if (!parts.probes.startup.is_null()) container["startupProbe"] = parts.probes.startup;
  if (!parts.probes.liveness.is_null()) container["livenessProbe"] = parts.probes.liveness;
  if (!parts.probes.readiness.is_null()) container["readinessProbe"] = parts.probes.readiness;
  Object mounts = Object::array();
  for (const auto& volume : parts.volumes) mounts.push_back({{"name", volume.name}, {"mountPath", volume.path}});
  container["volumeMounts"] = mounts;
  if (auto resources = container_resources(profile.limits); !resources.is_null()) container["resources"] = resources;
  if (profile.run_as)
    container["securityContext"] = {{"allowPrivilegeEscalation", false},
                                    {"capabilities", {{"drop", Object::array({"ALL"})}}}};
  return container;
}

Object pod_security_context(const config::Profile& profile) {
  if (!profile.run_as) return nullptr;
  const Account& account = *profile.run_as;
  Object context{{"runAsUser", account.uid}, {"runAsGroup", account.gid}};
  if (account.uid != 0) context["runAsNonRoot"] = true;
  Object extra = Object::array();
  for (gid_t group : account.groups)
    if (group != account.gid) extra.push_back(group);
  if (!extra.empty()) context["supplementalGroups"] = extra;
  return context;
}

}  // namespace moltbot::fleet_export
