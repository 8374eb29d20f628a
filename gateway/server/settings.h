#pragma once
// Everything the gateway runs with, resolved from its command line, environment and config file
// with the real gateway's precedence (docs/gateway.md, "Resolution"):
//   profile: --profile, *_PROFILE, "default"
//   state dir: *_STATE_DIR, ~/.clawdbot-NAME     config path: *_CONFIG_PATH, <state dir>/clawdbot.json
//   port: --port, *_GATEWAY_PORT, gateway.port in the config file, 18789
// Among the three spellings of a variable the newest product name wins: OPENCLAW_, then
// MOLTBOT_, then CLAWDBOT_.
#include <filesystem>
#include <optional>
#include <string>

#include "command_line.h"
#include "footprint.h"
#include "moltbot/common/environment.h"

namespace moltbot::gateway {

inline constexpr int default_gateway_port = 18789;

struct Settings {
  std::string profile;
  std::filesystem::path state_dir;
  std::filesystem::path config_path;
  std::filesystem::path workspace;
  Footprint ports;
  BindMode bind = BindMode::loopback;
};

struct SettingsResult {
  std::optional<Settings> settings;
  std::string error;  // set when settings is empty
  int exit_code = 0;  // 2 for bad arguments or environment, 78 (EX_CONFIG) for a bad config file
};

struct ProductVariable {
  std::string name;  // the spelling that was found, e.g. "MOLTBOT_STATE_DIR"
  std::string value;
};

// CLAWDBOT_/MOLTBOT_/OPENCLAW_ + `suffix`, newest spelling first; empty values count as unset.
std::optional<ProductVariable> product_variable(const Environment& env, const std::string& suffix);

SettingsResult resolve_settings(const CommandLine& command_line, const Environment& env);

}  // namespace moltbot::gateway
