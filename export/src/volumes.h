#pragma once
// The folders of a profile that must outlive its container: the state dir, the workspace and the
// folder of the config file, each mounted at the same path as on the host (the command, the
// environment and the config file name them), the ones inside another left to that one's volume.
#include <string>
#include <vector>

#include "moltbot/config/manifest.h"

namespace moltbot::fleet_export {

struct ProfileVolume {
  std::string name;  // "state", "workspace", "config"
  std::string path;  // absolute, as resolved by the loader
};

std::vector<ProfileVolume> profile_volumes(const config::Profile& profile);

// True when `path` is one of the volumes or lies inside one.
bool inside_volumes(const std::string& path, const std::vector<ProfileVolume>& volumes);

}  // namespace moltbot::fleet_export
