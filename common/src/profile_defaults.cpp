#include "moltbot/common/profile_defaults.h"

#include <algorithm>

namespace moltbot {
namespace {

PortRange single(int port) { return {port, port}; }

// `wanted`, or the gateway's global default when `wanted` does not fit below 65536.
DerivedPorts derived(PortRange wanted, PortRange fallback) {
  if (wanted.last <= max_port) return {wanted, false, {}};
  return {fallback, true, wanted};
}

DerivedPorts pinned_or_derived(std::optional<int> pin, int wanted, int fallback) {
  if (pin) return {single(*pin), false, {}};
  return derived(single(wanted), single(fallback));
}

}  // namespace

bool is_valid_profile_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

const char* to_string(Layout layout) { return layout == Layout::openclaw ? "openclaw" : "clawdbot"; }

std::optional<Layout> parse_layout(std::string_view text) {
  if (text == "openclaw") return Layout::openclaw;
  if (text == "clawdbot") return Layout::clawdbot;
  return std::nullopt;
}

Layout other_layout(Layout layout) { return layout == Layout::openclaw ? Layout::clawdbot : Layout::openclaw; }

std::filesystem::path default_state_dir(const std::filesystem::path& home, std::string_view profile, Layout layout) {
  const std::string base = layout == Layout::openclaw ? ".openclaw" : ".clawdbot";
  if (profile == "default") return home / base;
  return home / (base + "-" + std::string(profile));
}

std::filesystem::path default_config_path(const std::filesystem::path& state_dir, Layout layout) {
  return state_dir / (layout == Layout::openclaw ? "openclaw.json" : "clawdbot.json");
}

std::filesystem::path default_workspace(const std::filesystem::path& home, const std::filesystem::path& state_dir,
                                        std::string_view profile, Role role, Layout layout) {
  if (layout == Layout::openclaw) return state_dir / "workspace";
  std::string name = profile == "default" ? "clawd" : "clawd-" + std::string(profile);
  if (role == Role::rescue && !name.ends_with("-rescue")) name += "-rescue";
  return home / name;
}

PortRange cdp_range_from(int first) {
  return {first, first + port_offset::cdp_from_control_last - port_offset::cdp_from_control_first};
}

GatewayPorts derive_gateway_ports(int gateway_port, const PinnedPorts& pins) {
  const int p = gateway_port;
  GatewayPorts ports;
  ports.bridge = derived(single(p + port_offset::bridge), single(fallback_port::bridge));
  ports.browser_control =
      pinned_or_derived(pins.browser_control, p + port_offset::browser_control, fallback_port::browser_control);
  ports.extension_relay = derived(single(p + port_offset::extension_relay), single(fallback_port::extension_relay));
  ports.canvas = pinned_or_derived(pins.canvas, p + port_offset::canvas, fallback_port::canvas);
  // The CDP range follows the control port as configured, before any fallback of its own (the
  // fallback control port 18791 leads to the fallback range 18800..18899 anyway).
  const int control = pins.browser_control.value_or(p + port_offset::browser_control);
  const PortRange cdp = pins.cdp_range.value_or(PortRange{control + port_offset::cdp_from_control_first,
                                                          control + port_offset::cdp_from_control_last});
  ports.cdp = derived(cdp, {fallback_port::cdp_first, fallback_port::cdp_last});
  return ports;
}

}  // namespace moltbot
