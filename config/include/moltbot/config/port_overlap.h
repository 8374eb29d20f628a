#pragma once
// The interval sweep behind the port-overlap rule: which port intervals of different owners
// share a port. Public so tests can hold it against a pairwise check.
#include <cstddef>
#include <vector>

#include "moltbot/config/manifest.h"

namespace moltbot::config {

struct OwnedInterval {
  PortRange range;
  std::size_t owner = 0;  // e.g. the profile's index; intervals of one owner never conflict
};

// Indices into the input; first < second.
struct IntervalOverlap {
  std::size_t first = 0;
  std::size_t second = 0;
  friend bool operator==(const IntervalOverlap&, const IntervalOverlap&) = default;
  friend auto operator<=>(const IntervalOverlap&, const IntervalOverlap&) = default;
};

// Every pair of intervals with different owners that share at least one port, each pair once,
// sorted. O(n log n + k) for k pairs, plus same-owner intervals that are open at the same time.
std::vector<IntervalOverlap> overlapping_intervals(const std::vector<OwnedInterval>& intervals);

}  // namespace moltbot::config
