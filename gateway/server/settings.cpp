#include "settings.h"

#include "exit_codes.h"
#include "moltbot/common/paths.h"
#include "moltbot/common/profile_defaults.h"

namespace moltbot::gateway {

namespace fs = std::filesystem;

std::optional<ProductVariable> product_variable(const Environment& env, const std::string& suffix) {
  for (const char* prefix : {"OPENCLAW_", "MOLTBOT_", "CLAWDBOT_"}) {
    std::string name = prefix + suffix;
    auto value = lookup(env, name);
    if (value && !value->empty()) return ProductVariable{name, *value};
  }
  return std::nullopt;
}

SettingsResult resolve_settings(const CommandLine& command_line, const Environment& env) {
  // Like Node's os.homedir(): HOME, else the user's passwd entry.
  auto home = home_directory(env);
  if (!home) return {std::nullopt, "cannot tell the home directory: HOME is not set", exit_code::usage};
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);

  Settings settings;
  settings.bind = command_line.bind;
  settings.profile = "default";
  if (command_line.profile) {
    settings.profile = *command_line.profile;
  } else if (auto profile = product_variable(env, "PROFILE")) {
    settings.profile = profile->value;
  }
  if (!is_valid_profile_name(settings.profile)) {
    return {std::nullopt,
            "invalid profile name \"" + settings.profile + "\": use letters, digits, '_' and '-' only",
            exit_code::usage};
  }

  // `~`, ${VAR} and relative paths in a variable, as the real gateway resolves them.
  settings.state_dir = default_state_dir(*home, settings.profile, Layout::clawdbot);
  if (auto variable = product_variable(env, "STATE_DIR")) {
    ExpandedPath path = expand_path(variable->value, env, cwd);
    if (!path.path) return {std::nullopt, variable->name + ": " + path.error, exit_code::usage};
    settings.state_dir = *path.path;
  }
  settings.config_path = default_config_path(settings.state_dir, Layout::clawdbot);
  if (auto variable = product_variable(env, "CONFIG_PATH")) {
    ExpandedPath path = expand_path(variable->value, env, cwd);
    if (!path.path) return {std::nullopt, variable->name + ": " + path.error, exit_code::usage};
    settings.config_path = *path.path;
  }

  ConfigPinsResult config = read_config_pins(settings.config_path);
  if (config.error) return {std::nullopt, *config.error, exit_code::config};

  int port = default_gateway_port;
  if (command_line.port) {
    port = *command_line.port;
  } else if (auto variable = product_variable(env, "GATEWAY_PORT")) {
    auto parsed = parse_port(variable->value);
    if (!parsed) {
      return {std::nullopt, variable->name + ": \"" + variable->value + "\" is not a port number (1..65535)",
              exit_code::usage};
    }
    port = *parsed;
  } else if (config.pins.gateway_port) {
    port = *config.pins.gateway_port;
  }
  settings.ports = derive_footprint(port, config.pins);

  settings.workspace = default_workspace(*home, settings.state_dir, settings.profile, Role::main, Layout::clawdbot);
  if (config.pins.workspace) {
    ExpandedPath path = expand_path(*config.pins.workspace, env, settings.config_path.parent_path());
    if (!path.path) {
      return {std::nullopt, settings.config_path.string() + ": agents.defaults.workspace: " + path.error,
              exit_code::config};
    }
    settings.workspace = *path.path;
  }
  return {settings, {}, exit_code::ok};
}

}  // namespace moltbot::gateway
