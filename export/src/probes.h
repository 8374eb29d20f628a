#pragma once
// `health` as container probes, one to one: liveness from the health check (http path, tcp
// connect or exec command), startup from `startup_path` (else the health check) with a budget
// of `start_period` plus the failures that would restart the gateway, readiness from
// `ready_path`. Probes count in whole seconds: a finer `interval` or `timeout` is rounded up,
// with a note.
#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"
#include "moltbot/export/export_fleet.h"

namespace moltbot::fleet_export {

struct Probes {
  Object startup;    // null when there is none
  Object liveness;   // null for health.type none
  Object readiness;  // null without ready_path
};

Probes container_probes(const config::Profile& profile, config::Diagnostics& diagnostics);

// Whole seconds, rounded up, at least `minimum`.
int whole_seconds(config::Millis duration, int minimum = 1);

}  // namespace moltbot::fleet_export
