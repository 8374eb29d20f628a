// port-self-overlap: one gateway's own ports. Its named ports must be distinct and outside its
// CDP range (Chrome would take them), and a pinned CDP port must not be a named port. A pinned
// CDP port inside the CDP range is the normal case.
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "validate_rules.h"
#include "validate_wording.h"

namespace moltbot::config::rules {
namespace {

using wording::PortKind;

std::optional<std::string> self_conflict(const PortUse& use, PortKind kind, const PortUse& other,
                                         PortKind other_kind) {
  if (kind == PortKind::cdp_range || other_kind == PortKind::pinned) return std::nullopt;
  if (other_kind == PortKind::cdp_range) {
    if (kind != PortKind::named || !other.range.overlaps(use.range)) return std::nullopt;
    return fmt::format("{} lies in the profile's own {}", wording::describe(use), wording::describe(other));
  }
  // `other` is a named port; `use` a named or pinned one.
  if (!use.range.overlaps(other.range)) return std::nullopt;
  return fmt::format("{} is also the profile's {} port", wording::describe(use), other.name);
}

}  // namespace

void check_port_self_overlap(const Manifest& manifest, Diagnostics& out) {
  std::vector<PortKind> kinds;
  for (const Profile& profile : manifest.profiles) {
    const auto& uses = profile.ports.uses;
    kinds.clear();
    for (const PortUse& use : uses) kinds.push_back(wording::kind_of(use));
    for (std::size_t i = 0; i < uses.size(); ++i) {
      for (std::size_t j = 0; j < uses.size(); ++j) {
        // Named pairs are symmetric: report them once, on the later entry.
        const bool both_named = kinds[i] == PortKind::named && kinds[j] == PortKind::named;
        if (i == j || (both_named && j > i)) continue;
        auto message = self_conflict(uses[i], kinds[i], uses[j], kinds[j]);
        if (!message) continue;
        Diagnostic diagnostic;
        diagnostic.code = "port-self-overlap";
        diagnostic.message = wording::profile_prefix(profile) + *message;
        diagnostic.where = uses[i].where;
        diagnostic.profile = profile.name;
        diagnostic.related.push_back(
            RelatedNote{fmt::format("the {} is defined here", wording::describe(uses[j])), uses[j].where});
        out.push_back(std::move(diagnostic));
      }
    }
  }
}

}  // namespace moltbot::config::rules
