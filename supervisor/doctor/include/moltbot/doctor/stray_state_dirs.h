#pragma once
// Gateway state dirs on disk that no profile of the manifest uses: ~/.clawdbot*, ~/.openclaw*,
// ~/.moltbot* left by a gateway run by hand, by another service manager, or by a profile since
// removed from the manifest. Such a gateway may come back and collide with the fleet.
#include <filesystem>
#include <string>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/config/manifest.h"
#include "moltbot/doctor/checklist.h"

namespace moltbot::doctor {

// The home directory (as the manifest's "~" expands) and every folder holding a profile's state
// dir, where the state dirs of the other profiles of that host usually sit.
std::vector<std::filesystem::path> state_dir_folders(const config::Manifest& manifest, const Environment& env);

// One item: every state dir in `folders` that the manifest's profiles do not use (as their state
// dir, config folder or workspace, or inside one).
CheckItem check_state_dirs(const config::Manifest& manifest, const std::vector<std::filesystem::path>& folders,
                           const std::string& manifest_name);

}  // namespace moltbot::doctor
