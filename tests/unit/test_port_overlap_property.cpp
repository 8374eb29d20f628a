// Property: the interval sweep finds exactly the overlapping pairs a pairwise check finds, on
// random fleets whose ports are chosen from a narrow band so that they collide often.
#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <utility>

#include "hand_built_fleet.h"
#include "moltbot/config/port_overlap.h"
#include "moltbot/config/validate.h"
#include "validate_matchers.h"

using namespace moltbot;
using namespace moltbot::config;

namespace {

std::vector<OwnedInterval> random_intervals(std::mt19937& rng) {
  std::uniform_int_distribution<std::size_t> owners(1, 12);
  std::uniform_int_distribution<int> per_owner(0, 8);
  std::uniform_int_distribution<int> start(1, 400);
  std::uniform_int_distribution<int> length(0, 60);
  std::bernoulli_distribution single(0.6);
  std::vector<OwnedInterval> intervals;
  const std::size_t owner_count = owners(rng);
  for (std::size_t owner = 0; owner < owner_count; ++owner) {
    const int count = per_owner(rng);
    for (int i = 0; i < count; ++i) {
      const int first = start(rng);
      intervals.push_back({{first, single(rng) ? first : first + length(rng)}, owner});
    }
  }
  std::shuffle(intervals.begin(), intervals.end(), rng);  // owners need not be contiguous
  return intervals;
}

std::vector<IntervalOverlap> pairwise(const std::vector<OwnedInterval>& intervals) {
  std::vector<IntervalOverlap> found;
  for (std::size_t i = 0; i < intervals.size(); ++i)
    for (std::size_t j = i + 1; j < intervals.size(); ++j)
      if (intervals[i].owner != intervals[j].owner && intervals[i].range.overlaps(intervals[j].range))
        found.push_back({i, j});
  return found;
}

}  // namespace

TEST_CASE("the sweep agrees with a pairwise check on random intervals", "[validate][property]") {
  std::mt19937 rng(20260125);
  std::size_t overlaps_seen = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    const auto intervals = random_intervals(rng);
    const auto expected = pairwise(intervals);
    const auto actual = overlapping_intervals(intervals);
    INFO("iteration " << iteration << ", " << intervals.size() << " intervals");
    REQUIRE(actual == expected);
    overlaps_seen += expected.size();
  }
  CHECK(overlaps_seen > 10000);  // the generator really makes collisions
}

TEST_CASE("validate reports port-overlap for exactly the profile pairs whose port sets meet",
          "[validate][property]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> profile_count(2, 10);
  std::uniform_int_distribution<int> base(18700, 19100);  // ranges of 100 ports: many collisions
  std::bernoulli_distribution high(0.1);                   // some fall back from past 65535
  std::size_t conflicting_pairs = 0;
  for (int iteration = 0; iteration < 500; ++iteration) {
    std::vector<Profile> profiles;
    const int count = profile_count(rng);
    for (int i = 0; i < count; ++i) {
      const int port = high(rng) ? 65525 + (base(rng) % 11) : base(rng);
      profiles.push_back(test::derived_profile("p" + std::to_string(i), port, 3 + 3 * i));
    }
    std::set<std::pair<std::string, std::string>> expected;  // (later, earlier)
    for (std::size_t i = 0; i < profiles.size(); ++i)
      for (std::size_t j = i + 1; j < profiles.size(); ++j)
        for (const PortUse& u : profiles[j].ports.uses)
          for (const PortUse& v : profiles[i].ports.uses)
            if (u.range.overlaps(v.range)) expected.insert({profiles[j].name, profiles[i].name});

    std::set<std::pair<std::string, std::string>> reported;
    for (const Diagnostic& d : test::with_code(validate(test::fleet_of(profiles)), "port-overlap")) {
      const std::string& note = d.related.at(0).message;  // profile "NAME" is defined here
      const auto open = note.find('"') + 1;
      reported.insert({d.profile, note.substr(open, note.find('"', open) - open)});
    }
    REQUIRE(reported == expected);
    conflicting_pairs += expected.size();
  }
  CHECK(conflicting_pairs > 1000);
}
