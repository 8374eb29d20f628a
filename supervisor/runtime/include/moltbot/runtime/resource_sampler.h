#pragma once
// A profile's resource figures as status and /metrics show them: measured when asked, at most once
// per `min_interval` (a whole fleet asked every second by several clients reads /proc once a
// second), never on a timer of its own. CPU% is the CPU time between the last two measurements
// over the time between them; for the first one after a start, over the gateway's uptime (as ps
// shows it).
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>

#include "moltbot/runtime/resource_usage.h"

namespace moltbot::runtime {

struct ResourceSample {
  ResourceUsage usage;
  std::optional<double> cpu_percent;  // nullopt: nothing runs, or no time has passed to measure over
};

class ResourceSampler {
 public:
  static constexpr std::chrono::milliseconds min_interval{1000};
  using Clock = std::chrono::steady_clock;

  // The last sample when it is younger than min_interval, else `measure()`'s. `leader`: the
  // running gateway (0: none), whose restart starts the CPU figures afresh; `uptime` its age.
  const ResourceSample& sample(Clock::time_point now, pid_t leader, std::optional<std::chrono::milliseconds> uptime,
                               const std::function<ResourceUsage()>& measure);

 private:
  std::optional<Clock::time_point> taken_at_;
  pid_t leader_ = 0;
  ResourceSample last_;
};

}  // namespace moltbot::runtime
