#include "volumes.h"

#include <algorithm>
#include <filesystem>

namespace moltbot::fleet_export {
namespace {

bool same_or_inside(const std::string& path, const std::string& folder) {
  if (path == folder) return true;
  const std::string prefix = folder.ends_with('/') ? folder : folder + '/';
  return path.starts_with(prefix);
}

}  // namespace

bool inside_volumes(const std::string& path, const std::vector<ProfileVolume>& volumes) {
  return std::any_of(volumes.begin(), volumes.end(),
                     [&](const ProfileVolume& volume) { return same_or_inside(path, volume.path); });
}

std::vector<ProfileVolume> profile_volumes(const config::Profile& profile) {
  const std::vector<ProfileVolume> candidates{
      {"state", profile.state_dir},
      {"workspace", profile.workspace},
      {"config", std::filesystem::path(profile.config_path).parent_path().string()},
  };
  std::vector<ProfileVolume> volumes;
  for (const auto& candidate : candidates) {
    const bool covered = std::any_of(candidates.begin(), candidates.end(), [&](const ProfileVolume& other) {
      // The config folder is often the state dir itself: the first of two equal paths keeps it.
      if (&other == &candidate) return false;
      if (other.path == candidate.path) return &other < &candidate;
      return same_or_inside(candidate.path, other.path);
    });
    if (!covered) volumes.push_back(candidate);
  }
  return volumes;
}

}  // namespace moltbot::fleet_export
