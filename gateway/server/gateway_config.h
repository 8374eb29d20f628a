#pragma once
// The parts of a profile's gateway config file (JSON, comments allowed) that change what the
// gateway occupies: its port, pinned browser/canvas ports and its workspace.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace moltbot::gateway {

struct ConfigPins {
  std::optional<int> gateway_port;           // gateway.port
  std::optional<int> browser_control_port;   // browser.controlPort
  std::optional<int> canvas_port;            // canvasHost.port
  std::optional<int> cdp_range_start;        // browser.cdpPortRangeStart
  std::optional<std::string> workspace;      // agents.defaults.workspace, as written
};

struct ConfigPinsResult {
  ConfigPins pins;            // all empty when the file does not exist
  bool file_exists = false;
  std::optional<std::string> error;  // unreadable, invalid JSON, or a field of the wrong type
};

ConfigPinsResult read_config_pins(const std::filesystem::path& config_path);

// The pins of config file text; errors name `config_path`. file_exists is left false.
ConfigPinsResult parse_config_pins(std::string_view text, const std::filesystem::path& config_path);

}  // namespace moltbot::gateway
