#include "moltbot/config/manifest_diff.h"

#include <fmt/format.h>

#include <algorithm>

namespace moltbot::config {

namespace {

// The profile with every source location cleared, so the defaulted operator== compares the
// rest: a field added to Profile counts without anyone remembering to list it here.
Profile without_locations(Profile profile) {
  profile.where = {};
  profile.field_locations.clear();
  for (auto& use : profile.ports.uses) use.where = {};
  return profile;
}

const Profile* find(const std::vector<Profile>& profiles, const std::string& name) {
  auto found = std::find_if(profiles.begin(), profiles.end(), [&](const Profile& p) { return p.name == name; });
  return found == profiles.end() ? nullptr : &*found;
}

}  // namespace

bool same_entry(const Profile& a, const Profile& b) { return without_locations(a) == without_locations(b); }

ProfileChanges diff_profiles(const std::vector<Profile>& before, const std::vector<Profile>& after) {
  ProfileChanges changes;
  for (const auto& profile : after) {
    const Profile* old = find(before, profile.name);
    auto& list = !old ? changes.added : same_entry(*old, profile) ? changes.unchanged : changes.changed;
    list.push_back(profile.name);
  }
  for (const auto& profile : before)
    if (!find(after, profile.name)) changes.removed.push_back(profile.name);
  return changes;
}

std::vector<std::string> changed_settings(const SupervisorSettings& running, const SupervisorSettings& next) {
  std::vector<std::string> changed;
  auto compare = [&](const char* key, const std::string& old_value, const std::string& new_value) {
    if (old_value != new_value) changed.push_back(fmt::format("supervisor.{}: {} -> {}", key, old_value, new_value));
  };
  compare("socket", running.socket, next.socket);
  compare("socket_group", running.socket_group.value_or("(none)"), next.socket_group.value_or("(none)"));
  compare("log_dir", running.log_dir, next.log_dir);
  compare("on_crash", to_string(running.on_crash), to_string(next.on_crash));
  auto metrics = [](const SupervisorSettings& settings) {
    return settings.metrics ? fmt::format("{}:{}", settings.metrics->address, settings.metrics->port)
                            : std::string("(off)");
  };
  compare("metrics", metrics(running), metrics(next));
  // control.grants is applied by a reload (daemon/reload.h).
  auto next_but_grants = next;
  next_but_grants.grants = running.grants;
  // A setting added to SupervisorSettings but not to the lines above still gets reported.
  if (changed.empty() && !(running == next_but_grants)) changed.push_back("supervisor: settings changed");
  return changed;
}

}  // namespace moltbot::config
