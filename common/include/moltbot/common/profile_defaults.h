#pragma once
// The real gateway's per-profile defaults (spec section 1). Shared by the manifest resolver and
// the bundled gateway so both derive the same footprint from a profile name.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace moltbot {

enum class Role { main, rescue };

// Letters, digits, '_' and '-' only, non-empty.
bool is_valid_profile_name(std::string_view name);

// Which product's on-disk layout a profile's default paths follow (manifest key `layout`).
//   openclaw (the default): state ~/.openclaw-NAME (~/.openclaw for "default"), config
//                           <state>/openclaw.json, workspace <state>/workspace; what
//                           `openclaw --profile NAME` itself looks at.
//   clawdbot:               state ~/.clawdbot-NAME (~/.clawdbot), config <state>/clawdbot.json,
//                           workspace ~/clawd-NAME (~/clawd), with a "-rescue" suffix for a
//                           rescue profile unless its name already ends in it.
enum class Layout { openclaw, clawdbot };

const char* to_string(Layout layout);
std::optional<Layout> parse_layout(std::string_view text);
// The other of the two: where an operator's older (or newer) state may already live.
Layout other_layout(Layout layout);

std::filesystem::path default_state_dir(const std::filesystem::path& home, std::string_view profile, Layout layout);

std::filesystem::path default_config_path(const std::filesystem::path& state_dir, Layout layout);

std::filesystem::path default_workspace(const std::filesystem::path& home, const std::filesystem::path& state_dir,
                                        std::string_view profile, Role role, Layout layout);

// Offsets from the gateway port P of the ports the gateway derives (spec section 1).
namespace port_offset {
inline constexpr int bridge = 1;
inline constexpr int browser_control = 2;
inline constexpr int extension_relay = 3;
inline constexpr int canvas = 4;
inline constexpr int cdp_from_control_first = 9;   // CDP range starts at control + 9
inline constexpr int cdp_from_control_last = 108;  // and ends at control + 108
}  // namespace port_offset

// What the real gateway silently uses instead when P + offset exceeds 65535.
namespace fallback_port {
inline constexpr int bridge = 18790;
inline constexpr int browser_control = 18791;
inline constexpr int extension_relay = 18792;
inline constexpr int canvas = 18793;
inline constexpr int cdp_first = 18800;
inline constexpr int cdp_last = 18899;
}  // namespace fallback_port

inline constexpr int max_port = 65535;

// An inclusive port interval; a single port has first == last.
struct PortRange {
  int first = 0;
  int last = 0;
  bool contains(int port) const { return port >= first && port <= last; }
  bool overlaps(const PortRange& other) const { return first <= other.last && other.first <= last; }
  bool operator==(const PortRange&) const = default;
};

// The CDP range that browser.cdpPortRangeStart = `first` sets: 100 ports, as the derived one.
PortRange cdp_range_from(int first);

// What a gateway config file (or the manifest) pins; the rest derives from the gateway port.
struct PinnedPorts {
  std::optional<int> browser_control;
  std::optional<int> canvas;
  std::optional<PortRange> cdp_range;
  bool operator==(const PinnedPorts&) const = default;
};

// One entry of the footprint, as the gateway will take it.
struct DerivedPorts {
  PortRange range;
  bool fell_back = false;  // the ports derived from P pass 65535: `range` is the global default
  PortRange derived;       // when fell_back: the ports as derived (range holds the default)
};

struct GatewayPorts {
  DerivedPorts bridge;
  DerivedPorts browser_control;
  DerivedPorts extension_relay;
  DerivedPorts canvas;
  DerivedPorts cdp;
};

// Everything the gateway on port P occupies or reserves besides P itself (spec section 1): the
// offsets above, pins taken as they are, and the silent fallback past 65535. The one derivation
// of the manifest loader, the bundled gateway and the tests.
GatewayPorts derive_gateway_ports(int gateway_port, const PinnedPorts& pins);

}  // namespace moltbot
