#include "moltbot/config/manifest.h"

namespace moltbot::config {

const SourceLocation& Profile::location_of(const std::string& field) const {
  auto it = field_locations.find(field);
  return it == field_locations.end() ? where : it->second;
}

const char* to_string(OnCrash on_crash) { return on_crash == OnCrash::adopt ? "adopt" : "restart"; }

std::chrono::milliseconds RolloutSettings::deadline_for(const Profile& profile) const {
  using namespace std::chrono_literals;
  // A real OpenClaw gateway loads its plugins and channels before /startupz says started.
  return deadline.value_or(profile.layout == Layout::openclaw ? 5min : 2min);
}

const Profile* Manifest::find(const std::string& name) const {
  for (const auto& profile : profiles)
    if (profile.name == name) return &profile;
  return nullptr;
}

}  // namespace moltbot::config
