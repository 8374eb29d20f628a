#pragma once
// Gateways run by another service manager: systemd unit files named openclaw-gateway*,
// clawdbot-gateway* or moltbot-gateway* (what the gateway's own `gateway install` writes). Such a
// unit competes with the supervisor for the same ports and state.
#include <filesystem>
#include <string>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/doctor/checklist.h"
#include "moltbot/doctor/unit_activity.h"

namespace moltbot::doctor {

struct UnitDirs {
  std::vector<std::filesystem::path> system;
  std::vector<std::filesystem::path> user;
};

// The folders systemd loads units from (systemd.unit(5)): system ones, and user ones including
// $XDG_CONFIG_HOME/systemd/user (default ~/.config/systemd/user).
UnitDirs default_unit_dirs(const Environment& env);

struct GatewayUnit {
  std::string name;  // "openclaw-gateway.service", "moltbot-gateway@.service"
  std::filesystem::path path;
  UnitScope scope = UnitScope::system;
  bool enabled = false;  // linked from a *.wants or *.requires folder of a folder of its scope
};

// Gateway unit files in `dirs`; the first folder of a scope wins for a name, as in systemd.
// Masked units (linked to /dev/null) are left out: nothing can start them.
std::vector<GatewayUnit> find_gateway_units(const UnitDirs& dirs);

// One item: every gateway unit found, with its activity when systemd can tell.
CheckItem check_gateway_units(const UnitDirs& dirs);

}  // namespace moltbot::doctor
