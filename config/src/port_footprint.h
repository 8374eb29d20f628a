#pragma once
// The full set of ports a gateway will occupy, from its gateway port and what is pinned
// (spec section 1). Past 65535 the gateway silently takes its global defaults; that is what is
// recorded, marked fell_back, so the validator can both report it and check overlaps with it.
#include "moltbot/config/manifest.h"
#include "port_pins.h"

namespace moltbot::config::loader {

// `gateway` is the profile's `port` and where it is set; derived ports point there too.
ProfilePorts derive_ports(const Pinned<int>& gateway, const PortPins& pins);

}  // namespace moltbot::config::loader
