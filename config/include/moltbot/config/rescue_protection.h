#pragma once
// Under memory pressure the kernel's OOM killer ends the process with the highest oom_score
// (its memory share plus oom_score_adj): a rescue profile must not be it while a main gateway runs.
#include <vector>

#include "moltbot/config/manifest.h"

namespace moltbot::config {

// How far below the lowest other profile a rescue profile's oom_score_adj goes by default.
inline constexpr int rescue_oom_margin = 100;

// Gives every rescue profile without its own limits.oom_score_adj the lowest value of the other
// profiles (0 for one without) minus rescue_oom_margin, at least -1000.
void protect_rescue_profiles(std::vector<Profile>& profiles);

}  // namespace moltbot::config
