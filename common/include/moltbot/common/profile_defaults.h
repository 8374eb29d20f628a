#pragma once
// The real gateway's per-profile defaults (spec section 1). Shared by the manifest resolver and
// the bundled gateway so both derive the same footprint from a profile name.
#include <filesystem>
#include <string>
#include <string_view>

namespace moltbot {

enum class Role { main, rescue };

// Letters, digits, '_' and '-' only, non-empty.
bool is_valid_profile_name(std::string_view name);

// ~/.clawdbot-NAME, or ~/.clawdbot for the profile named "default".
std::filesystem::path default_state_dir(const std::filesystem::path& home, std::string_view profile);

// <state dir>/clawdbot.json
std::filesystem::path default_config_path(const std::filesystem::path& state_dir);

// ~/clawd-NAME (~/clawd for "default"); a rescue profile's workspace carries a "-rescue" suffix
// unless its name already ends in it.
std::filesystem::path default_workspace(const std::filesystem::path& home, std::string_view profile,
                                        Role role);

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

}  // namespace moltbot
