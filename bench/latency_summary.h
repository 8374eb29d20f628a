#pragma once
// Median, p90, p99 and maximum of a benchmark's samples, the same way in every bench: the sample at
// the rounded rank, no interpolation.
#include <algorithm>
#include <cstddef>
#include <vector>

namespace moltbot::bench {

struct LatencySummary {
  double p50, p90, p99, max;
};

inline LatencySummary summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double p) { return samples[static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1) + 0.5)]; };
  return {at(0.5), at(0.9), at(0.99), samples.back()};
}

}  // namespace moltbot::bench
