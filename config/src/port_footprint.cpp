#include "port_footprint.h"

#include "cdp_url.h"
#include "moltbot/common/profile_defaults.h"

namespace moltbot::config::loader {
namespace {

PortUse single(std::string name, int port, const SourceLocation& where) {
  return PortUse{std::move(name), PortRange{port, port}, where, false, PortRange{}};
}

PortUse use_of(std::string name, const DerivedPorts& ports, const SourceLocation& where) {
  return PortUse{std::move(name), ports.range, where, ports.fell_back, ports.derived};
}

template <class Value>
std::optional<Value> value_of(const std::optional<Pinned<Value>>& pin) {
  if (!pin) return std::nullopt;
  return pin->value;
}

}  // namespace

ProfilePorts derive_ports(const Pinned<int>& gateway, const PortPins& pins) {
  const GatewayPorts derived = derive_gateway_ports(
      gateway.value, {value_of(pins.browser_control), value_of(pins.canvas), value_of(pins.cdp_range)});
  // A port points at where it is pinned, a derived one at the gateway port it follows from.
  auto where = [&](const auto& pin) -> const SourceLocation& { return pin ? pin->where : gateway.where; };
  std::vector<PortUse> uses;
  uses.push_back(single("gateway", gateway.value, gateway.where));
  uses.push_back(use_of("bridge", derived.bridge, gateway.where));
  uses.push_back(use_of("browser control", derived.browser_control, where(pins.browser_control)));
  uses.push_back(use_of("extension relay", derived.extension_relay, gateway.where));
  uses.push_back(use_of("canvas host", derived.canvas, where(pins.canvas)));
  // An unpinned CDP range follows the control port.
  const SourceLocation& cdp_where = pins.cdp_range ? pins.cdp_range->where : where(pins.browser_control);
  uses.push_back(use_of("CDP range", derived.cdp, cdp_where));

  for (const BrowserProfilePins& browser : pins.browser_profiles) {
    if (browser.cdp_port)
      uses.push_back(
          single("CDP port of browser profile " + browser.name, browser.cdp_port->value, browser.cdp_port->where));
    if (!browser.cdp_url) continue;
    auto endpoint = parse_cdp_url(browser.cdp_url->value);
    if (endpoint && endpoint->loopback)
      uses.push_back(single("cdpUrl of browser profile " + browser.name, endpoint->port, browser.cdp_url->where));
  }

  ProfilePorts ports;
  ports.gateway = uses[0].range.first;
  ports.bridge = uses[1].range.first;
  ports.browser_control = uses[2].range.first;
  ports.extension_relay = uses[3].range.first;
  ports.canvas = uses[4].range.first;
  ports.cdp_start = uses[5].range.first;
  ports.cdp_end = uses[5].range.last;
  ports.uses = std::move(uses);
  return ports;
}

}  // namespace moltbot::config::loader
