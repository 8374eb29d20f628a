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
  std::erase_if(recent_, [&](TimePoint at) { return now - at >= spec_.window; });
  if (static_cast<int>(recent_.size()) >= spec_.max_restarts) return false;
  recent_.push_back(now);
  return true;
}

}  // namespace moltbot::runtime
