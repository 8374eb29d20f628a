#include "moltbot/config/rescue_protection.h"

#include <algorithm>
#include <optional>

namespace moltbot::config {

void protect_rescue_profiles(std::vector<Profile>& profiles) {
  if (std::none_of(profiles.begin(), profiles.end(), [](const Profile& p) { return p.role == Role::rescue; })) return;
  std::optional<int> lowest;  // of the other profiles; none in a fleet of rescue profiles alone
  for (auto& profile : profiles)
    if (profile.role != Role::rescue) {
      if (!profile.limits.oom_score_adj) profile.limits.oom_score_adj = rescue_oom_margin;
      lowest = std::min(lowest.value_or(1000), *profile.limits.oom_score_adj);
    }
  if (!lowest) return;
  for (auto& profile : profiles)
    if (profile.role == Role::rescue && !profile.limits.oom_score_adj)
      profile.limits.oom_score_adj = std::max(-1000, *lowest - rescue_oom_margin);
}

}  // namespace moltbot::config
