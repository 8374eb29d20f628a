#pragma once
// other-layout-state: a profile whose default state dir does not exist yet while the other
// layout's default state dir of the same profile does. Running it would leave the operator's
// sessions, channels and credentials behind and start from an empty state.
#include <filesystem>

#include "field_reader.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config::loader {

// A note (the manifest stays valid) at the profile's `layout`, or at the profile when it sets
// none. Only for a profile whose state_dir is the layout's default, resolved under `home`.
void note_other_layout_state(const Profile& profile, const std::filesystem::path& home, const FieldReader& reader);

}  // namespace moltbot::config::loader
