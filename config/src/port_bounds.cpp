// port-out-of-range: a port the gateway cannot bind as derived. Past 65535 the real gateway does
// not fail, it silently takes its global default, which is how two profiles with different base
// ports end up colliding; so the fallback is named in the message.
#include <fmt/format.h>

#include "validate_rules.h"
#include "validate_wording.h"

namespace moltbot::config::rules {
namespace {

bool within_port_numbers(const PortRange& range) {
  return range.first >= 1 && range.last <= max_port && range.first <= range.last;
}

Diagnostic out_of_range(const Profile& profile, const PortUse& use, std::string what) {
  Diagnostic diagnostic;
  diagnostic.code = "port-out-of-range";
  diagnostic.message = wording::profile_prefix(profile) + std::move(what);
  diagnostic.where = use.where;
  diagnostic.profile = profile.name;
  return diagnostic;
}

}  // namespace

void check_port_bounds(const Manifest& manifest, Diagnostics& out) {
  for (const Profile& profile : manifest.profiles) {
    for (const PortUse& use : profile.ports.uses) {
      if (use.fell_back) {
        const PortRange& fallback = use.range;
        out.push_back(out_of_range(
            profile, use,
            fmt::format("{} exceeds {}; the gateway would silently fall back to {}",
                        wording::describe(use.name, use.derived), max_port,
                        fallback.first == fallback.last
                            ? std::to_string(fallback.first)
                            : fmt::format("{}..{}", fallback.first, fallback.last))));
      } else if (!within_port_numbers(use.range)) {
        out.push_back(out_of_range(
            profile, use,
            fmt::format("{} is outside 1..{}", wording::describe(use), max_port)));
      }
    }
  }
}

}  // namespace moltbot::config::rules
