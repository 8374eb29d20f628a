#include "moltbot/config/child_environment.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "moltbot/common/env_file.h"

namespace moltbot::config {
namespace {

// The product's three names; the gateway reads whichever its version knows.
constexpr std::array<std::string_view, 3> product_prefixes{"CLAWDBOT_", "MOLTBOT_", "OPENCLAW_"};
constexpr std::array<std::string_view, 4> identity_suffixes{"PROFILE", "STATE_DIR", "CONFIG_PATH", "GATEWAY_PORT"};
constexpr char no_respawn[] = "OPENCLAW_NO_RESPAWN";
constexpr char supervisor_mode[] = "OPENCLAW_SUPERVISOR_MODE";
constexpr char repair_policy[] = "OPENCLAW_SERVICE_REPAIR_POLICY";

bool is_restart_mode_variable(std::string_view name) {
  return name == no_respawn || name == supervisor_mode || name == repair_policy;
}

// Variables of the supervisor's own service manager (systemd, launchd): a child inheriting them
// would talk to the manager as if it were the supervisor (sd_notify, socket activation, journal).
constexpr std::array<std::string_view, 7> service_manager_names{"NOTIFY_SOCKET",    "INVOCATION_ID", "JOURNAL_STREAM",
                                                                "SYSTEMD_EXEC_PID", "MAINPID",       "MANAGERPID",
                                                                "XPC_SERVICE_NAME"};
constexpr std::array<std::string_view, 3> service_manager_prefixes{"WATCHDOG_", "LISTEN_", "LAUNCH_JOB"};

bool is_stripped(std::string_view name) {
  for (auto prefix : product_prefixes)
    if (name.starts_with(prefix)) return true;
  for (auto prefix : service_manager_prefixes)
    if (name.starts_with(prefix)) return true;
  for (auto exact : service_manager_names)
    if (name == exact) return true;
  return false;
}

}  // namespace

bool is_profile_identity_variable(std::string_view name) {
  if (is_restart_mode_variable(name)) return true;
  for (auto prefix : product_prefixes) {
    if (!name.starts_with(prefix)) continue;
    for (auto suffix : identity_suffixes)
      if (name.substr(prefix.size()) == suffix) return true;
  }
  return false;
}

bool is_secret_name(std::string_view name) {
  auto same_letter = [](char c, char upper) { return std::toupper(static_cast<unsigned char>(c)) == upper; };
  for (std::string_view word : {"TOKEN", "SECRET", "PASSWORD", "KEY"})
    if (std::search(name.begin(), name.end(), word.begin(), word.end(), same_letter) != name.end()) return true;
  return false;
}

std::string_view identity_variable_advice(std::string_view name) {
  if (is_restart_mode_variable(name))
    return "is set by the supervisor from the gateway's restart-handoff support; set `cli: []` to force "
           "in-process restarts";
  return "is set by the supervisor from the profile (name, port, state_dir, config_path); set those fields instead";
}

ChildEnvironment child_environment(const Profile& profile, const Environment& supervisor_env, RestartMode mode) {
  ChildEnvironment child;
  for (const auto& [name, value] : supervisor_env)
    if (!is_stripped(name)) child.env.emplace(name, value);
  // A gateway run as its own user looks for its files in that user's home, as after a login.
  if (const auto& account = profile.run_as) {
    child.env.insert_or_assign("HOME", account->home);
    child.env.insert_or_assign("USER", account->user);
    child.env.insert_or_assign("LOGNAME", account->user);
  }

  for (auto prefix : product_prefixes) {
    const std::string p(prefix);
    child.env[p + "PROFILE"] = profile.name;
    child.env[p + "STATE_DIR"] = profile.state_dir;
    child.env[p + "CONFIG_PATH"] = profile.config_path;
    child.env[p + "GATEWAY_PORT"] = std::to_string(profile.ports.gateway);
  }
  if (mode == RestartMode::external) {
    // The gateway's documented external-supervisor mode: a restart it decides on drains, leaves a
    // handoff and exits 0 for us to start the replacement; its CLI refuses to install a
    // competing service.
    child.env.insert_or_assign(supervisor_mode, std::string("external"));
    child.env.insert_or_assign(repair_policy, std::string("external"));
  } else {
    // Restart in-process instead of forking a detached replacement we would lose.
    child.env.insert_or_assign(no_respawn, std::string("1"));
  }
  // The gateway colours its output even into a pipe; the profile's env or env_file may say otherwise.
  if (profile.layout == Layout::openclaw) child.env.insert_or_assign("NO_COLOR", std::string("1"));

  if (profile.env_file) {
    EnvFile file = read_env_file(*profile.env_file);
    // A half-read file would start the gateway with some secrets missing: none or all.
    if (file.error)
      child.error = std::move(file.error);
    else
      for (auto& entry : file.entries) {
        child.env[entry.name] = entry.value;
        child.secrets.push_back(std::move(entry.value));
      }
  }
  for (const auto& [name, value] : profile.env) child.env[name] = value;
  for (const auto& [name, value] : child.env)
    if (is_secret_name(name)) child.secrets.push_back(value);
  return child;
}

}  // namespace moltbot::config
