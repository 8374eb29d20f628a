#pragma once
// Who listens on each profile's footprint ports right now. A listener that descends from the
// supervisor holding the profile's lock is the profile's own gateway (the fleet already runs);
// any other listener would make the profile wait instead of starting.
#include <string>
#include <vector>

#include "moltbot/config/manifest.h"
#include "moltbot/doctor/checklist.h"

namespace moltbot::doctor {

// One item per profile, in manifest order. `manifest_name` is how fixes name the manifest.
std::vector<CheckItem> check_ports(const config::Manifest& manifest, const std::string& manifest_name);

}  // namespace moltbot::doctor
