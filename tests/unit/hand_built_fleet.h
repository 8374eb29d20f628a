#pragma once
// Manifests built by hand, as the loader would resolve them, so the validator's rules can be
// tested without YAML. Each profile sits on manifest line `line` (its `port:` value one line
// below, at column 11, like the spec's example).
#include <string>

#include "moltbot/config/manifest.h"

namespace moltbot::test {

inline constexpr const char* fleet_file = "fleet.yaml";
inline constexpr const char* home = "/home/op";

// `port` only: default paths under /home/op, every port derived from `port` with the gateway's
// silent fallbacks past 65535.
config::Profile derived_profile(const std::string& name, int port, int line, Role role = Role::main);

// Pins one more port use on the profile (e.g. "canvas host" or "CDP port of browser profile
// work"), replacing a use of the same name; `line` is where the YAML pins it.
void pin(config::Profile& profile, const std::string& use_name, config::PortRange range, int line);

config::Manifest fleet_of(std::vector<config::Profile> profiles);

}  // namespace moltbot::test
