#include "settings.h"

#include <cctype>

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

namespace {

// The value trimmed of spaces and lowercased, as the real gateway compares these switches.
std::string normalised_switch(const Environment& env, const std::string& name) {
  std::string value = lookup(env, name).value_or("");
  const auto first = value.find_first_not_of(" \t\r\n");
  const auto last = value.find_last_not_of(" \t\r\n");
  value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value;
}

}  // namespace

bool externally_supervised(const Environment& env) {
  return normalised_switch(env, "OPENCLAW_SUPERVISOR_MODE") == "external";
}

RestartPolicy restart_policy(const Environment& env) {
  const std::string no_respawn = normalised_switch(env, "OPENCLAW_NO_RESPAWN");
  if (no_respawn == "1" || no_respawn == "true" || no_respawn == "yes" || no_respawn == "on") {
    return {RestartMode::in_process, "OPENCLAW_NO_RESPAWN=" + no_respawn};
  }
  if (!externally_supervised(env)) return {RestartMode::in_process, "no external supervisor"};
  return {RestartMode::external_supervisor, "OPENCLAW_SUPERVISOR_MODE=external"};
}

PathsResult resolve_paths(const CommandLine& command_line, const Environment& env) {
  // Like Node's os.homedir(): HOME, else the user's passwd entry.
  auto home = home_directory(env);
  if (!home) return {std::nullopt, "cannot tell the home directory: HOME is not set", exit_code::usage};
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);

  Paths paths;
  paths.home = *home;
  paths.profile = "default";
  if (command_line.profile) {
    paths.profile = *command_line.profile;
  } else if (auto profile = product_variable(env, "PROFILE")) {
    paths.profile = profile->value;
  }
  if (!is_valid_profile_name(paths.profile)) {
    return {std::nullopt, "invalid profile name \"" + paths.profile + "\": use letters, digits, '_' and '-' only",
            exit_code::usage};
  }

  // `~`, ${VAR} and relative paths in a variable, as the real gateway resolves them.
  paths.state_dir = default_state_dir(*home, paths.profile, Layout::openclaw);
  if (auto variable = product_variable(env, "STATE_DIR")) {
    ExpandedPath path = expand_path(variable->value, env, cwd);
    if (!path.path) return {std::nullopt, variable->name + ": " + path.error, exit_code::usage};
    paths.state_dir = *path.path;
  }
  paths.config_path = default_config_path(paths.state_dir, Layout::openclaw);
  if (auto variable = product_variable(env, "CONFIG_PATH")) {
    ExpandedPath path = expand_path(variable->value, env, cwd);
    if (!path.path) return {std::nullopt, variable->name + ": " + path.error, exit_code::usage};
    paths.config_path = *path.path;
  }
  return {paths, {}, exit_code::ok};
}

SettingsResult resolve_settings(const CommandLine& command_line, const Environment& env) {
  PathsResult resolved = resolve_paths(command_line, env);
  if (!resolved.paths) return {std::nullopt, resolved.error, resolved.exit_code};
  const Paths& paths = *resolved.paths;

  Settings settings;
  settings.bind = command_line.bind;
  settings.restart = restart_policy(env);
  settings.profile = paths.profile;
  settings.state_dir = paths.state_dir;
  settings.config_path = paths.config_path;

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

  settings.workspace = default_workspace(paths.home, settings.state_dir, settings.profile, Role::main, Layout::openclaw);
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
