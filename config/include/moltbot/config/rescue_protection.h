#pragma once
// Under memory pressure the kernel's OOM killer ends the process with the highest oom_score
// (its memory share plus oom_score_adj): a rescue profile must not be it while a main gateway runs.
#include <vector>

#include "moltbot/config/manifest.h"

namespace moltbot::config {

// How far apart a rescue profile's oom_score_adj and the others' are by default.
inline constexpr int rescue_oom_margin = 100;

// In a fleet with a rescue profile: every other profile without its own limits.oom_score_adj
// gets rescue_oom_margin (above the supervisor's usual 0: raising needs no privilege, so this
// protects the rescue gateway in a container too), and every rescue profile without its own goes
// rescue_oom_margin below the lowest of the others (0 by default), at least -1000.
void protect_rescue_profiles(std::vector<Profile>& profiles);

}  // namespace moltbot::config
