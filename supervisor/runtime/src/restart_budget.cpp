#include "moltbot/runtime/restart_budget.h"

#include <algorithm>
#include <cmath>

namespace moltbot::runtime {

std::chrono::milliseconds backoff_delay(const config::Backoff& backoff, int step, double unit_random) {
  double base = static_cast<double>(backoff.initial.count()) * std::pow(backoff.factor, std::max(step, 0));
  double cap = static_cast<double>(backoff.max.count());
  double jittered = std::min(base, cap) * (0.8 + 0.4 * std::clamp(unit_random, 0.0, 1.0));
  return std::chrono::milliseconds(static_cast<long long>(std::min(jittered, cap)));
}

bool RestartBudget::try_consume(TimePoint now) {
  // Oldest first, so the expired ones are a prefix. It is dropped once it is half the list: a
  // crash loop with a budget of 1,000,000 costs O(1) per restart, not a scan of the whole list.
  while (first_ < recent_.size() && now - recent_[first_] >= spec_.window) ++first_;
  if (first_ > 0 && first_ * 2 >= recent_.size()) {
    recent_.erase(recent_.begin(), recent_.begin() + static_cast<std::ptrdiff_t>(first_));
    first_ = 0;
  }
  if (static_cast<int>(recent_.size() - first_) >= spec_.max_restarts) return false;
  recent_.push_back(now);
  return true;
}

}  // namespace moltbot::runtime
