#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>

#include "moltbot/config/render.h"
#include "validate_wording.h"

namespace moltbot::config {
namespace {

constexpr std::size_t columns = 9;
using Row = std::array<std::string, columns>;
// Not constexpr: clang cannot evaluate libstdc++'s std::string constructor at compile time.
const Row header = {"PROFILE", "ROLE", "GATEWAY", "BRIDGE", "CONTROL", "RELAY", "CANVAS", "CDP RANGE", "PINNED"};

bool fell_back(const Profile& profile, const char* use_name) {
  return std::any_of(profile.ports.uses.begin(), profile.ports.uses.end(),
                     [&](const PortUse& use) { return use.name == use_name && use.fell_back; });
}

std::string port_cell(const Profile& profile, int port, const char* use_name) {
  return std::to_string(port) + (fell_back(profile, use_name) ? "*" : "");
}

std::string pinned_cell(const Profile& profile) {
  std::vector<std::string> pins;
  for (const PortUse& use : profile.ports.uses) {
    if (wording::kind_of(use) != wording::PortKind::pinned) continue;
    pins.push_back(use.name.starts_with("cdpUrl") ? fmt::format("{} (cdpUrl)", use.range.first)
                                                  : std::to_string(use.range.first));
  }
  return pins.empty() ? "-" : fmt::format("{}", fmt::join(pins, ", "));
}

Row row_of(const Profile& profile) {
  const ProfilePorts& ports = profile.ports;
  return {profile.name,
          profile.role == Role::rescue ? "rescue" : "main",
          port_cell(profile, ports.gateway, "gateway"),
          port_cell(profile, ports.bridge, "bridge"),
          port_cell(profile, ports.browser_control, "browser control"),
          port_cell(profile, ports.extension_relay, "extension relay"),
          port_cell(profile, ports.canvas, "canvas host"),
          fmt::format("{}..{}{}", ports.cdp_start, ports.cdp_end, fell_back(profile, "CDP range") ? "*" : ""),
          pinned_cell(profile)};
}

}  // namespace

std::string render_port_table(const Manifest& manifest) {
  std::vector<Row> rows{header};
  bool any_fallback = false;
  for (const Profile& profile : manifest.profiles) {
    rows.push_back(row_of(profile));
    any_fallback = any_fallback || std::any_of(profile.ports.uses.begin(), profile.ports.uses.end(),
                                               [](const PortUse& use) { return use.fell_back; });
  }
  std::array<std::size_t, columns> width{};
  for (const Row& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());

  std::string text;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c)
      line += c + 1 == row.size() ? row[c] : fmt::format("{:<{}}  ", row[c], width[c]);
    text += line + "\n";
  }
  if (any_fallback)
    text += fmt::format("* silent fallback: the derived port exceeds {}, so the gateway takes its global default\n", max_port);
  return text;
}

}  // namespace moltbot::config
