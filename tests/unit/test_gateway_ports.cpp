// The one derivation of a gateway's ports (spec section 1) that the manifest loader, the bundled
// gateway and the validator's tests share.
#include <catch2/catch.hpp>

#include "moltbot/common/profile_defaults.h"

using moltbot::cdp_range_from;
using moltbot::derive_gateway_ports;
using moltbot::DerivedPorts;
using moltbot::PinnedPorts;
using moltbot::PortRange;

namespace {

bool takes(const DerivedPorts& ports, PortRange range) { return !ports.fell_back && ports.range == range; }

bool falls_back(const DerivedPorts& ports, PortRange derived, PortRange fallback) {
  return ports.fell_back && ports.derived == derived && ports.range == fallback;
}

}  // namespace

TEST_CASE("gateway ports: P+1 bridge, P+2 control, P+3 relay, P+4 canvas, CDP P+11..P+110") {
  auto main = derive_gateway_ports(18789, {});
  CHECK(takes(main.bridge, {18790, 18790}));
  CHECK(takes(main.browser_control, {18791, 18791}));
  CHECK(takes(main.extension_relay, {18792, 18792}));
  CHECK(takes(main.canvas, {18793, 18793}));
  CHECK(takes(main.cdp, {18800, 18899}));  // the spec's "base 18789: CDP range 18800..18899"

  // The spec's rescue example: control_port+9 .. control_port+108.
  auto rescue = derive_gateway_ports(19001, {});
  CHECK(takes(rescue.browser_control, {19003, 19003}));
  CHECK(takes(rescue.canvas, {19005, 19005}));
  CHECK(takes(rescue.cdp, {19012, 19111}));
}

TEST_CASE("gateway ports: pins are taken as they are, and the CDP range follows a pinned control port") {
  PinnedPorts pins;
  pins.browser_control = 30000;
  pins.canvas = 30100;
  auto pinned = derive_gateway_ports(20000, pins);
  CHECK(takes(pinned.browser_control, {30000, 30000}));
  CHECK(takes(pinned.canvas, {30100, 30100}));
  CHECK(takes(pinned.cdp, {30009, 30108}));
  CHECK(takes(pinned.bridge, {20001, 20001}));

  CHECK(cdp_range_from(21000) == PortRange{21000, 21099});
  pins.cdp_range = cdp_range_from(21000);
  CHECK(takes(derive_gateway_ports(20000, pins).cdp, {21000, 21099}));
}

TEST_CASE("gateway ports: past 65535 the gateway silently takes its global defaults") {
  auto high = derive_gateway_ports(65534, {});
  CHECK(takes(high.bridge, {65535, 65535}));
  CHECK(falls_back(high.browser_control, {65536, 65536}, {18791, 18791}));
  CHECK(falls_back(high.extension_relay, {65537, 65537}, {18792, 18792}));
  CHECK(falls_back(high.canvas, {65538, 65538}, {18793, 18793}));
  CHECK(falls_back(high.cdp, {65545, 65644}, {18800, 18899}));

  // The CDP range is the first to go: P+110 = 65535 still fits, one more does not.
  CHECK(takes(derive_gateway_ports(65425, {}).cdp, {65436, 65535}));
  auto edge = derive_gateway_ports(65426, {});
  CHECK(takes(edge.canvas, {65430, 65430}));
  CHECK(falls_back(edge.cdp, {65437, 65536}, {18800, 18899}));

  // A range pinned by its start falls back the same way.
  PinnedPorts pins;
  pins.cdp_range = cdp_range_from(65500);
  CHECK(falls_back(derive_gateway_ports(20000, pins).cdp, {65500, 65599}, {18800, 18899}));
}
