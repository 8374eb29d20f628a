#include "gateway_container.h"

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
