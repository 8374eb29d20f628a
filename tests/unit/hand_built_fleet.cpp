#include "hand_built_fleet.h"

#include <algorithm>

#include "moltbot/common/profile_defaults.h"

namespace moltbot::test {
namespace {

using config::PortRange;
using config::PortUse;

config::SourceLocation at(int line, int column) { return {fleet_file, line, column}; }

config::PortUse use_of(const std::string& name, const DerivedPorts& ports, int line) {
  return {name, ports.range, at(line, 11), ports.fell_back, ports.derived};
}

}  // namespace

config::Profile derived_profile(const std::string& name, int port, int line, Role role) {
  config::Profile profile;
  profile.name = name;
  profile.where = at(line, 3);
  profile.role = role;
  profile.state_dir = default_state_dir(home, name, Layout::clawdbot).string();
  profile.config_path = default_config_path(profile.state_dir, Layout::clawdbot).string();
  profile.workspace = default_workspace(home, profile.state_dir, name, role, Layout::clawdbot).string();
  profile.field_locations["port"] = at(line + 1, 11);

  const GatewayPorts derived = derive_gateway_ports(port, {});
  auto& uses = profile.ports.uses;
  uses.push_back(PortUse{"gateway", PortRange{port, port}, at(line + 1, 11), false, {}});
  uses.push_back(use_of("bridge", derived.bridge, line + 1));
  uses.push_back(use_of("browser control", derived.browser_control, line + 1));
  uses.push_back(use_of("extension relay", derived.extension_relay, line + 1));
  uses.push_back(use_of("canvas host", derived.canvas, line + 1));
  uses.push_back(use_of("CDP range", derived.cdp, line + 1));

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
