#pragma once
// Every port the gateway occupies or reserves, derived from its gateway port the way the real
// gateway does (spec section 1), including its silent fallback past 65535.
#include "gateway_config.h"

namespace moltbot::gateway {

struct Footprint {
  int gateway = 0;
  int bridge = 0;           // reserved, never bound (legacy)
  int browser_control = 0;  // loopback only
  int extension_relay = 0;  // reserved, never bound
  int canvas = 0;
  int cdp_start = 0;        // Chrome DevTools range, bound only by the hold_ports test fault
  int cdp_end = 0;
};

Footprint derive_footprint(int gateway_port, const ConfigPins& pins);

}  // namespace moltbot::gateway
