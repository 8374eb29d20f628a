#include <algorithm>

#include "moltbot/config/port_overlap.h"

namespace moltbot::config {
namespace {

// A copy of what the sweep needs, kept together for cache-friendly sorting.
struct Interval {
  int first;
  int last;
  std::size_t owner;
  std::size_t index;
};

}  // namespace

std::vector<IntervalOverlap> overlapping_intervals(const std::vector<OwnedInterval>& intervals) {
  std::vector<Interval> by_start;
  by_start.reserve(intervals.size());
  for (std::size_t i = 0; i < intervals.size(); ++i)
    by_start.push_back({intervals[i].range.first, intervals[i].range.last, intervals[i].owner, i});
  std::sort(by_start.begin(), by_start.end(), [](const Interval& a, const Interval& b) { return a.first < b.first; });

  // Min-heap on the last port: intervals still open when the next one starts.
  std::vector<Interval> open;
  const auto ends_later = [](const Interval& a, const Interval& b) { return a.last > b.last; };

  std::vector<IntervalOverlap> overlaps;
  for (const Interval& interval : by_start) {
    while (!open.empty() && open.front().last < interval.first) {
      std::pop_heap(open.begin(), open.end(), ends_later);
      open.pop_back();
    }
    // Everything still open started no later than `interval` and ends at or after its start.
    for (const Interval& other : open)
      if (other.owner != interval.owner)
        overlaps.push_back({std::min(interval.index, other.index), std::max(interval.index, other.index)});
    open.push_back(interval);
    std::push_heap(open.begin(), open.end(), ends_later);
  }
  std::sort(overlaps.begin(), overlaps.end());
  return overlaps;
}

}  // namespace moltbot::config
