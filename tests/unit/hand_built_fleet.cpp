#include "hand_built_fleet.h"

#include <algorithm>

#include "moltbot/common/profile_defaults.h"

namespace moltbot::test {
namespace {

using config::PortRange;
using config::PortUse;

config::SourceLocation at(int line, int column) { return {fleet_file, line, column}; }

// The gateway takes `fallback` whenever the derived range does not fit below 65536.
PortUse derived_use(const std::string& name, PortRange derived, PortRange fallback, int line) {
  PortUse use{name, derived, at(line, 11), false, {}};
  if (derived.last > max_port) {
    use.range = fallback;
    use.fell_back = true;
    use.derived = derived;
  }
  return use;
}

}  // namespace

config::Profile derived_profile(const std::string& name, int port, int line, Role role) {
  config::Profile profile;
  profile.name = name;
  profile.where = at(line, 3);
  profile.role = role;
  profile.state_dir = default_state_dir(home, name).string();
  profile.config_path = default_config_path(profile.state_dir).string();
  profile.workspace = default_workspace(home, name, role).string();
  profile.field_locations["port"] = at(line + 1, 11);

  const int control = port + port_offset::browser_control;
  auto single = [](int p) { return PortRange{p, p}; };
  auto& uses = profile.ports.uses;
  uses.push_back(PortUse{"gateway", single(port), at(line + 1, 11), false, {}});
  uses.push_back(derived_use("bridge", single(port + port_offset::bridge), single(fallback_port::bridge), line + 1));
  uses.push_back(derived_use("browser control", single(control), single(fallback_port::browser_control), line + 1));
  uses.push_back(derived_use("extension relay", single(port + port_offset::extension_relay),
                             single(fallback_port::extension_relay), line + 1));
  uses.push_back(derived_use("canvas host", single(port + port_offset::canvas), single(fallback_port::canvas), line + 1));
  uses.push_back(derived_use("CDP range",
                             {control + port_offset::cdp_from_control_first, control + port_offset::cdp_from_control_last},
                             {fallback_port::cdp_first, fallback_port::cdp_last}, line + 1));

  auto& ports = profile.ports;
  ports.gateway = uses[0].range.first;
  ports.bridge = uses[1].range.first;
  ports.browser_control = uses[2].range.first;
  ports.extension_relay = uses[3].range.first;
  ports.canvas = uses[4].range.first;
  ports.cdp_start = uses[5].range.first;
  ports.cdp_end = uses[5].range.last;
  return profile;
}

void pin(config::Profile& profile, const std::string& use_name, PortRange range, int line) {
  auto& uses = profile.ports.uses;
  uses.erase(std::remove_if(uses.begin(), uses.end(), [&](const PortUse& u) { return u.name == use_name; }),
             uses.end());
  uses.push_back(PortUse{use_name, range, at(line, 20), false, {}});
}

config::Manifest fleet_of(std::vector<config::Profile> profiles) {
  config::Manifest manifest;
  manifest.path = std::string(home) + "/fleet.yaml";
  manifest.profiles = std::move(profiles);
  return manifest;
}

}  // namespace moltbot::test
