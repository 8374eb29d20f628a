#pragma once
// How long a profile's health probes took, as a cumulative histogram for /metrics
// (moltbot_profile_health_probe_duration_seconds). Inconclusive probes (the supervisor's own
// shortage) say nothing about the gateway and are left out.
#include <array>
#include <cstdint>

namespace moltbot::runtime {

struct ProbeDurations {
  // Upper bounds in seconds; a probe times out after health.timeout (2 s by default).
  static constexpr std::array<double, 11> bounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

  std::array<std::uint64_t, bounds.size()> at_most{};  // cumulative: probes that took <= bounds[i]
  std::uint64_t count = 0;
  double sum = 0;  // seconds

  void observe(double seconds) {
    for (std::size_t i = 0; i < bounds.size(); ++i)
      if (seconds <= bounds[i]) ++at_most[i];
    ++count;
    sum += seconds;
  }
};

}  // namespace moltbot::runtime
