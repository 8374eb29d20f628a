#include "moltbot/runtime/resource_sampler.h"

#include <algorithm>

namespace moltbot::runtime {

const ResourceSample& ResourceSampler::sample(Clock::time_point now, pid_t leader,
                                              std::optional<std::chrono::milliseconds> uptime,
                                              const std::function<ResourceUsage()>& measure) {
  if (taken_at_ && leader == leader_ && now - *taken_at_ < min_interval) return last_;
  ResourceSample next{measure(), std::nullopt};
  using Seconds = std::chrono::duration<double>;
  if (taken_at_ && leader == leader_ && leader != 0) {
    const double elapsed = Seconds(now - *taken_at_).count();
    next.cpu_percent = std::max(0.0, next.usage.cpu_seconds - last_.usage.cpu_seconds) / elapsed * 100;
  } else if (leader != 0 && uptime && uptime->count() > 0) {
    next.cpu_percent = next.usage.cpu_seconds / Seconds(*uptime).count() * 100;
  }
  taken_at_ = now;
  leader_ = leader;
  last_ = next;
  return last_;
}

}  // namespace moltbot::runtime
