#pragma once
// Defaults that follow from other settings of the profile, applied once `defaults` and the
// profile are merged, to each field that neither sets (Profile::field_locations has no entry):
// the layout's stop.timeout and health.startup_path, and a cli that follows the command.
#include "moltbot/config/manifest.h"

namespace moltbot::config::loader {

// The openclaw gateway's own stop budget without systemd: it drains for up to 315 s and keeps a
// reserve; a supervisor that kills it earlier loses replies in flight.
inline constexpr Millis openclaw_stop_timeout{330000};
inline constexpr Millis clawdbot_stop_timeout{10000};
inline constexpr const char* openclaw_startup_path = "/startupz";

void apply_setting_defaults(Profile& profile);

}  // namespace moltbot::config::loader
