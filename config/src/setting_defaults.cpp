#include "setting_defaults.h"

namespace moltbot::config::loader {

void apply_setting_defaults(Profile& profile) {
  const auto unset = [&](const char* field) { return !profile.field_locations.contains(field); };
  const bool openclaw = profile.layout == Layout::openclaw;
  if (unset("stop.timeout")) profile.stop.timeout = openclaw ? openclaw_stop_timeout : clawdbot_stop_timeout;
  if (unset("health.startup_path"))
    profile.health.startup_path = openclaw ? std::optional<std::string>(openclaw_startup_path) : std::nullopt;
  // The gateway's own CLI is the program that runs it, pointed at the same profile.
  if (unset("cli") && !profile.command.empty()) profile.cli = {profile.command.front(), "--profile", "{profile}"};
}

}  // namespace moltbot::config::loader
