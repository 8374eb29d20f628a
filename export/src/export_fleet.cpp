#include "moltbot/export/export_fleet.h"

#include <fmt/format.h>

#include "container_command.h"
#include "export_diagnostic.h"
#include "gateway_container.h"
#include "kubernetes_objects.h"
#include "object_names.h"
#include "pod_environment.h"
#include "podman_objects.h"
#include "probes.h"
#include "volumes.h"

namespace moltbot::fleet_export {
namespace {

using config::Severity;

// What the supervisor does on one host that the target does differently: exported anyway, said.
void report_differences(const config::Profile& profile, const ExportOptions& options, config::Diagnostics& diagnostics) {
  if (profile.stop.signal != 15)
    diagnostics.push_back(profile_diagnostic(
        Severity::warning, "export-stop-signal", profile, "stop.signal",
        fmt::format("stop.signal {} cannot be expressed: a pod is stopped with SIGTERM (then SIGKILL after "
                    "terminationGracePeriodSeconds); set the image's STOPSIGNAL instead",
                    profile.stop.signal)));
  if (profile.restart.policy != config::RestartPolicy::always)
    diagnostics.push_back(profile_diagnostic(
        Severity::warning, "export-restart-policy", profile, "restart.policy",
        "restart.policy other than `always` cannot be expressed: the pod's container is always restarted"));
  for (const auto& url : profile.cdp_urls)
    diagnostics.push_back(profile_diagnostic(
        Severity::warning, "export-cdp-url", profile, "browser",
        fmt::format("the gateway attaches to the browser at {}; in a pod a loopback address is the pod's own, "
                    "not this host's",
                    url)));
  auto limit_elsewhere = [&](bool set, const char* field, const char* why) {
    if (set) diagnostics.push_back(profile_diagnostic(Severity::warning, "export-limits", profile, field,
                                                      fmt::format("{} cannot be expressed in a pod: {}", field, why)));
  };
  limit_elsewhere(profile.limits.pids.has_value(), "limits.pids", "the kubelet's podPidsLimit is the node's, for every pod");
  limit_elsewhere(profile.limits.nofile.has_value(), "limits.nofile",
                  "a container's open-files limit is its runtime's (podman: default_ulimits in containers.conf)");
  // Only the manifest's own: the defaults that keep rescue below main come from the PriorityClasses.
  limit_elsewhere(profile.field_locations.contains("limits.oom_score_adj"), "limits.oom_score_adj",
                  "the kubelet sets it from the pod's QoS class (its resources)");
  if (options.target == Target::podman && !profile.autostart)
    diagnostics.push_back(profile_diagnostic(
        Severity::warning, "export-autostart", profile, "autostart",
        "autostart: false cannot be expressed: `podman kube play` starts every pod (stop it with `podman pod stop`)"));
}

void export_profile(const config::Profile& profile, const ExportOptions& options, FleetExport& result) {
  config::Diagnostics& diagnostics = result.diagnostics;
  if (auto problem = object_name_problem(profile)) {
    diagnostics.push_back(profile_diagnostic(Severity::error, "export-name", profile, "", *problem));
    return;
  }
  const auto volumes = profile_volumes(profile);
  auto command = container_command(profile, volumes, diagnostics);
  const PodEnvironment environment = pod_environment(profile);
  if (environment.error)
    diagnostics.push_back(profile_diagnostic(Severity::error, "export-env-file", profile, "env_file",
                                             "env_file cannot be read into the profile's Secret: " + *environment.error));
  if (profile.health.type == config::HealthType::exec)
    report_host_paths(profile, "health.command", profile.health.command, volumes, diagnostics);
  report_differences(profile, options, diagnostics);
  if (!command || environment.error) return;

  const ContainerParts parts{std::move(*command), environment, container_probes(profile, diagnostics), volumes};
  const Object container = gateway_container(profile, parts, options);
  if (options.target == Target::podman) {
    if (!environment.secret.empty())
      diagnostics.push_back(profile_diagnostic(
          Severity::note, "export-podman-secret", profile, "env_file",
          fmt::format("create the pod's Secret first: moltbot-supervisord export --format podman-secret --profile {} "
                      "MANIFEST | podman secret create {} -",
                      profile.name, secret_name(profile))));
    result.objects.push_back(podman_pod(profile, container, volumes, options));
    return;
  }
  if (!environment.secret.empty()) result.objects.push_back(secret(profile, environment.secret, options));
  result.objects.push_back(service(profile, options));
  result.objects.push_back(stateful_set(profile, container, volumes, options));
}

}  // namespace

FleetExport export_fleet(const config::Manifest& manifest, const ExportOptions& options) {
  FleetExport result;
  if (options.target == Target::kubernetes)
    for (auto role : {moltbot::Role::main, moltbot::Role::rescue})
      for (const auto& profile : manifest.profiles)
        if (profile.role == role) {
          result.objects.push_back(priority_class(role));
          break;
        }
  for (const auto& profile : manifest.profiles) export_profile(profile, options, result);
  if (config::has_errors(result.diagnostics)) result.objects.clear();
  return result;
}

}  // namespace moltbot::fleet_export
