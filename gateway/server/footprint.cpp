#include "footprint.h"

#include <algorithm>

#include "moltbot/common/profile_defaults.h"

namespace moltbot::gateway {
namespace {

int offset_or_fallback(int base, int offset, int fallback) {
  return base + offset <= max_port ? base + offset : fallback;
}

}  // namespace

Footprint derive_footprint(int gateway_port, const ConfigPins& pins) {
  Footprint ports;
  ports.gateway = gateway_port;
  ports.bridge = offset_or_fallback(gateway_port, port_offset::bridge, fallback_port::bridge);
  ports.browser_control = pins.browser_control_port.value_or(
      offset_or_fallback(gateway_port, port_offset::browser_control, fallback_port::browser_control));
  ports.extension_relay =
      offset_or_fallback(gateway_port, port_offset::extension_relay, fallback_port::extension_relay);
  ports.canvas =
      pins.canvas_port.value_or(offset_or_fallback(gateway_port, port_offset::canvas, fallback_port::canvas));

  constexpr int cdp_width = port_offset::cdp_from_control_last - port_offset::cdp_from_control_first;
  if (pins.cdp_range_start) {
    ports.cdp_start = *pins.cdp_range_start;
  } else if (ports.browser_control + port_offset::cdp_from_control_last <= max_port) {
    ports.cdp_start = ports.browser_control + port_offset::cdp_from_control_first;
  } else {
    ports.cdp_start = fallback_port::cdp_first;
  }
  ports.cdp_end = std::min(ports.cdp_start + cdp_width, max_port);
  return ports;
}

}  // namespace moltbot::gateway
