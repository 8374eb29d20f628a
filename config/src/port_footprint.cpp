#include "port_footprint.h"

#include "cdp_url.h"
#include "moltbot/common/profile_defaults.h"

namespace moltbot::config::loader {
namespace {

PortUse single(std::string name, int port, const SourceLocation& where) {
  return PortUse{std::move(name), PortRange{port, port}, where, false, PortRange{}};
}

// `wanted` as the gateway derives it, or its global default when that is not a port.
PortUse derived(std::string name, PortRange wanted, PortRange fallback, const SourceLocation& where) {
  if (wanted.last <= max_port) return PortUse{std::move(name), wanted, where, false, PortRange{}};
  return PortUse{std::move(name), fallback, where, true, wanted};
}

PortUse pinned_or_derived(std::string name, const std::optional<Pinned<int>>& pin, int wanted, int fallback,
                          const SourceLocation& gateway_where) {
  if (pin) return single(std::move(name), pin->value, pin->where);
  return derived(std::move(name), {wanted, wanted}, {fallback, fallback}, gateway_where);
}

}  // namespace

ProfilePorts derive_ports(const Pinned<int>& gateway, const PortPins& pins) {
  const int base = gateway.value;
  std::vector<PortUse> uses;
  uses.push_back(single("gateway", base, gateway.where));
  uses.push_back(derived("bridge", {base + port_offset::bridge, base + port_offset::bridge},
                         {fallback_port::bridge, fallback_port::bridge}, gateway.where));
  uses.push_back(pinned_or_derived("browser control", pins.browser_control, base + port_offset::browser_control,
                                   fallback_port::browser_control, gateway.where));
  uses.push_back(derived("extension relay", {base + port_offset::extension_relay, base + port_offset::extension_relay},
                         {fallback_port::extension_relay, fallback_port::extension_relay}, gateway.where));
  uses.push_back(
      pinned_or_derived("canvas host", pins.canvas, base + port_offset::canvas, fallback_port::canvas, gateway.where));

  // The CDP range follows the control port as configured, before any fallback of its own.
  const int control = pins.browser_control ? pins.browser_control->value : base + port_offset::browser_control;
  const SourceLocation& control_where = pins.browser_control ? pins.browser_control->where : gateway.where;
  const PortRange cdp_fallback{fallback_port::cdp_first, fallback_port::cdp_last};
  if (pins.cdp_range) {
    uses.push_back(derived("CDP range", pins.cdp_range->value, cdp_fallback, pins.cdp_range->where));
  } else {
    uses.push_back(derived(
        "CDP range", {control + port_offset::cdp_from_control_first, control + port_offset::cdp_from_control_last},
        cdp_fallback, control_where));
  }

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
