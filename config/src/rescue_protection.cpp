#include "moltbot/config/rescue_protection.h"

#include <algorithm>

namespace moltbot::config {

void protect_rescue_profiles(std::vector<Profile>& profiles) {
  int lowest = 0;
  bool any_other = false;
  for (const auto& profile : profiles)
    if (profile.role != Role::rescue) {
      lowest = any_other ? std::min(lowest, profile.limits.oom_score_adj.value_or(0))
                         : profile.limits.oom_score_adj.value_or(0);
      any_other = true;
    }
  for (auto& profile : profiles)
    if (profile.role == Role::rescue && !profile.limits.oom_score_adj)
      profile.limits.oom_score_adj = std::max(-1000, lowest - rescue_oom_margin);
}

}  // namespace moltbot::config
