#include "footprint.h"

#include "moltbot/common/profile_defaults.h"

namespace moltbot::gateway {

Footprint derive_footprint(int gateway_port, const ConfigPins& pins) {
  PinnedPorts pinned{pins.browser_control_port, pins.canvas_port, std::nullopt};
  if (pins.cdp_range_start) pinned.cdp_range = cdp_range_from(*pins.cdp_range_start);
  const GatewayPorts ports = derive_gateway_ports(gateway_port, pinned);
  return Footprint{gateway_port,
                   ports.bridge.range.first,
                   ports.browser_control.range.first,
                   ports.extension_relay.range.first,
                   ports.canvas.range.first,
                   ports.cdp.range.first,
                   ports.cdp.range.last};
}

}  // namespace moltbot::gateway
