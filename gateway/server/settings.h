#pragma once
// Everything the gateway runs with, resolved from its command line, environment and config file
// with the real gateway's precedence (docs/gateway.md, "Resolution"):
//   profile: --profile, *_PROFILE, "default"
//   state dir: *_STATE_DIR, ~/.openclaw-NAME     config path: *_CONFIG_PATH, <state dir>/openclaw.json
//   port: --port, *_GATEWAY_PORT, gateway.port in the config file, 18789
//   workspace: agents.defaults.workspace in the config file, <state dir>/workspace
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

// How the gateway serves a restart request (docs/gateway.md, "Restarts").
enum class RestartMode { in_process, external_supervisor };

struct RestartPolicy {
  RestartMode mode = RestartMode::in_process;
  std::string why;  // for the log, e.g. "OPENCLAW_NO_RESPAWN=1"
};

// Where a profile's files are: all that the CLI commands need, resolved exactly as the running
// gateway resolves them.
struct Paths {
  std::string profile;
  std::filesystem::path home;
  std::filesystem::path state_dir;
  std::filesystem::path config_path;
};

struct PathsResult {
  std::optional<Paths> paths;
  std::string error;  // set when paths is empty
  int exit_code = 0;  // 2 for a bad profile name or environment
};

struct Settings {
  std::string profile;
  std::filesystem::path state_dir;
  std::filesystem::path config_path;
  std::filesystem::path workspace;
  Footprint ports;
  BindMode bind = BindMode::loopback;
  RestartPolicy restart;
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

// OPENCLAW_SUPERVISOR_MODE=external (any case, spaces trimmed): another process manager owns the
// gateway's lifecycle.
bool externally_supervised(const Environment& env);

// external_supervisor when externally_supervised() and OPENCLAW_NO_RESPAWN is not truthy (1,
// true, yes, on), as the real gateway decides.
RestartPolicy restart_policy(const Environment& env);

PathsResult resolve_paths(const CommandLine& command_line, const Environment& env);

SettingsResult resolve_settings(const CommandLine& command_line, const Environment& env);

}  // namespace moltbot::gateway
