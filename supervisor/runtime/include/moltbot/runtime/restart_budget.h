#pragma once
// The restart arithmetic, in one place: backoff delay with jitter, and the max_restarts-within-
// window budget that turns a crash loop into `fatal`.
#include <chrono>
#include <vector>

#include "moltbot/config/manifest.h"
#include "moltbot/runtime/profile_state.h"

namespace moltbot::runtime {

// initial * factor^step, capped at max, then spread by +-20% (still capped) so a fleet that
// failed together does not restart in lockstep. `unit_random` is in [0, 1).
std::chrono::milliseconds backoff_delay(const config::Backoff& backoff, int step, double unit_random);

class RestartBudget {
 public:
  explicit RestartBudget(const config::RestartSpec& spec) : spec_(spec) {}

  // True and recorded when one more restart at `now` stays within max_restarts per window.
  bool try_consume(TimePoint now);
  // The restarts within the window, oldest first: what a re-exec carries across.
  std::vector<TimePoint> recent() const { return {recent_.begin() + static_cast<std::ptrdiff_t>(first_), recent_.end()}; }
  void restore(std::vector<TimePoint> recent) {
    recent_ = std::move(recent);
    first_ = 0;
  }
  void clear() {
    recent_.clear();
    first_ = 0;
  }

 private:
  const config::RestartSpec& spec_;
  // Oldest first; those before first_ are out of the window. No allocation until a restart.
  std::vector<TimePoint> recent_;
  std::size_t first_ = 0;
};

}  // namespace moltbot::runtime
