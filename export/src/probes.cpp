#include "probes.h"

#include <fmt/format.h>

#include "export_diagnostic.h"

namespace moltbot::fleet_export {
namespace {

using config::HealthType;

Object http_get(const std::string& path, int port) { return {{"httpGet", {{"path", path}, {"port", port}}}}; }

Object liveness_handler(const config::Profile& profile) {
  const config::HealthSpec& health = profile.health;
  switch (health.type) {
    case HealthType::http: return http_get(health.path, profile.ports.gateway);
    case HealthType::tcp: return {{"tcpSocket", {{"port", profile.ports.gateway}}}};
    // The pod runs it inside the container, as the supervisor runs it in the gateway's
    // environment; export_fleet reports host paths in it.
    case HealthType::exec: return {{"exec", {{"command", health.command}}}};
    case HealthType::none: break;
  }
  return nullptr;
}

void note_rounding(const config::Profile& profile, const char* field, config::Millis duration,
                   config::Diagnostics& diagnostics) {
  if (duration.count() % 1000 == 0) return;
  diagnostics.push_back(profile_diagnostic(
      config::Severity::note, "export-rounded", profile, field,
      fmt::format("{} of {} ms becomes {} s: probes count in whole seconds", field, duration.count(),
                  whole_seconds(duration))));
}

}  // namespace

int whole_seconds(config::Millis duration, int minimum) {
  const auto seconds = static_cast<int>((duration.count() + 999) / 1000);
  return std::max(seconds, minimum);
}

Probes container_probes(const config::Profile& profile, config::Diagnostics& diagnostics) {
  const config::HealthSpec& health = profile.health;
  Probes probes;
  Object handler = liveness_handler(profile);
  if (handler.is_null()) return probes;

  note_rounding(profile, "health.interval", health.interval, diagnostics);
  note_rounding(profile, "health.timeout", health.timeout, diagnostics);
  const int period = whole_seconds(health.interval);
  const int timeout = whole_seconds(health.timeout);

  probes.liveness = handler;
  probes.liveness["periodSeconds"] = period;
  probes.liveness["timeoutSeconds"] = timeout;
  probes.liveness["failureThreshold"] = health.failures;

  const bool has_startup_path =
      health.type == HealthType::http && health.startup_path && !health.startup_path->empty();
  probes.startup = has_startup_path ? http_get(*health.startup_path, profile.ports.gateway) : handler;
  const int start_period = whole_seconds(health.start_interval);
  // Until this much time has passed the supervisor would not have restarted a gateway that never
  // came up: start_period, then `failures` failed probes.
  const auto budget = health.start_period + health.failures * health.interval;
  probes.startup["periodSeconds"] = start_period;
  probes.startup["timeoutSeconds"] = timeout;
  probes.startup["failureThreshold"] = std::max(1, (whole_seconds(budget) + start_period - 1) / start_period);

  if (health.type == HealthType::http && health.ready_path) {
    probes.readiness = http_get(*health.ready_path, profile.ports.gateway);
    probes.readiness["periodSeconds"] = period;
    probes.readiness["timeoutSeconds"] = timeout;
    probes.readiness["failureThreshold"] = 1;  // readiness is reported as it is, as `status` does
  }
  return probes;
}

}  // namespace moltbot::fleet_export
