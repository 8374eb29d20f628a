// port-overlap: no port of one profile's full set may be in another profile's set. Base ports
// "20 apart" are not enough (a CDP range spans 100 ports), and fallbacks past 65535 make
// different bases collide, so the full sets are compared with an interval sweep.
#include "moltbot/config/port_overlap.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "validate_rules.h"
#include "validate_wording.h"

namespace moltbot::config::rules {
namespace {

struct UseRef {
  std::size_t profile;
  std::size_t use;
};

bool is_single(const PortUse& use) { return use.range.first == use.range.last; }

// How `use` of the later profile meets `other` of the earlier one.
std::string relation(const PortUse& use, const PortUse& other, const Profile& other_profile) {
  const char* verb = is_single(use) ? (is_single(other) ? "is also" : "lies in")
                                    : (is_single(other) ? "contains" : "overlaps");
  const std::string other_text = wording::describe(other);
  // "CDP port 19020 of browser profile work in profile ..." rather than a second "of".
  const char* joint = other_text.find(" of ") == std::string::npos ? "of" : "in";
  return fmt::format("{} {} the {} {} profile \"{}\"", wording::describe(use), verb, other_text, joint,
                     other_profile.name);
}

bool bindable(const PortRange& range) {
  return range.first >= 1 && range.last <= max_port && range.first <= range.last;
}

}  // namespace

void check_port_overlap(const Manifest& manifest, Diagnostics& out) {
  std::vector<OwnedInterval> intervals;
  std::vector<UseRef> refs;
  for (std::size_t p = 0; p < manifest.profiles.size(); ++p) {
    const auto& uses = manifest.profiles[p].ports.uses;
    for (std::size_t u = 0; u < uses.size(); ++u) {
      if (!bindable(uses[u].range)) continue;  // port-out-of-range reports it
      intervals.push_back({uses[u].range, p});
      refs.push_back({p, u});
    }
  }

  auto overlaps = overlapping_intervals(intervals);
  // Intervals are numbered in manifest order, so `second` belongs to the later profile.
  std::sort(overlaps.begin(), overlaps.end(), [](const IntervalOverlap& a, const IntervalOverlap& b) {
    return std::tie(a.second, a.first) < std::tie(b.second, b.first);
  });
  for (const IntervalOverlap& overlap : overlaps) {
    const UseRef later = refs[overlap.second];
    const UseRef earlier = refs[overlap.first];
    const Profile& profile = manifest.profiles[later.profile];
    const Profile& other = manifest.profiles[earlier.profile];
    const PortUse& use = profile.ports.uses[later.use];
    const PortUse& other_use = other.ports.uses[earlier.use];
    out.push_back(wording::conflict("port-overlap", profile, use.where, relation(use, other_use, other),
                                    other, other_use.where));
  }
}

}  // namespace moltbot::config::rules
