#pragma once
// Ports a profile sets explicitly, in the manifest or in its gateway config file, each with the
// place that set it. Everything not pinned is derived from the gateway port.
#include <optional>
#include <string>
#include <vector>

#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config::loader {

// Browser profiles per gateway, in the manifest or a config file: one CDP range has 100 ports.
inline constexpr std::size_t max_browser_profiles = 100;

template <class Value>
struct Pinned {
  Value value;
  SourceLocation where;
};

struct BrowserProfilePins {
  std::string name;
  SourceLocation where;
  std::optional<Pinned<int>> cdp_port;
  std::optional<Pinned<std::string>> cdp_url;
};

struct PortPins {
  std::optional<Pinned<int>> browser_control;
  std::optional<Pinned<int>> canvas;
  std::optional<Pinned<PortRange>> cdp_range;
  std::vector<BrowserProfilePins> browser_profiles;

  BrowserProfilePins* find_browser_profile(const std::string& name);
};

}  // namespace moltbot::config::loader
