#pragma once
// A profile's gateway config file (JSON with comments): the values in it that decide what the
// child will really occupy, each with the file, line and column of its key. gateway.port does
// not move the supervised gateway (the supervisor passes --port) but is where the gateway's own
// CLI (`openclaw --profile NAME ...`) looks for it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/config/diagnostic.h"
#include "port_pins.h"

namespace moltbot::config::loader {

// A channel credential as written: the value may still hold ${VAR} references.
struct WrittenCredential {
  std::string channel;
  std::string account;  // empty for the channel's top-level token
  std::string field;    // "botToken" or "token"
  std::string value;
  SourceLocation where;
};

struct ConfigProblem {
  std::string message;
  SourceLocation where;
};

struct GatewayConfigFile {
  bool exists = false;
  std::optional<Pinned<int>> gateway_port;  // gateway.port
  bool lacks_gateway_port = false;          // a JSON object without gateway.port (or with null)
  PortPins ports;  // browser.controlPort, canvasHost.port, browser.cdpPortRangeStart, browser.profiles
  std::optional<Pinned<std::string>> workspace;  // agents.defaults.workspace, as written
  std::vector<WrittenCredential> credentials;
  std::vector<ConfigProblem> problems;  // not JSON, or a pinned value of the wrong type
};

inline constexpr std::size_t max_gateway_config_bytes = 4 * 1024 * 1024;

// A missing file is not a problem: the gateway then runs on its defaults.
GatewayConfigFile read_gateway_config(const std::filesystem::path& path);

// The same for text in memory; `file` names it in locations.
GatewayConfigFile parse_gateway_config(const std::string& text, const std::string& file);

}  // namespace moltbot::config::loader
