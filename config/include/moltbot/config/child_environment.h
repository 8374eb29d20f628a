#pragma once
// The environment a profile's gateway child gets, built from scratch (spec section 2): the
// supervisor's environment minus every CLAWDBOT_*/MOLTBOT_*/OPENCLAW_* and service-manager
// variable, HOME/USER/LOGNAME of the profile's `user` when it has one, then the profile's
// PROFILE/STATE_DIR/CONFIG_PATH/GATEWAY_PORT under all three
// prefixes, the restart mode's variables (below) and NO_COLOR=1 for the openclaw layout, then
// env_file, then env.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config {

// How the gateway is told to restart. `external`: OPENCLAW_SUPERVISOR_MODE=external and
// OPENCLAW_SERVICE_REPAIR_POLICY=external, so a restart it decides on ends the process with a
// handoff for the supervisor to consume. `in_process`: OPENCLAW_NO_RESPAWN=1, so it restarts
// inside the same pid (for gateways whose CLI failed the handoff capability probe).
enum class RestartMode { in_process, external };

struct ChildEnvironment {
  Environment env;
  std::optional<std::string> error;  // env_file unreadable or malformed: names file and line
  // Values that must reach no log, event or status: every value of env_file, and the value of
  // every variable of `env` whose name marks it as a secret (is_secret_name), whether the
  // manifest's env, env_file or the supervisor's own environment set it. Unordered, may repeat.
  std::vector<std::string> secrets;
};

ChildEnvironment child_environment(const Profile& profile, const Environment& supervisor_env,
                                   RestartMode mode = RestartMode::in_process);

// True for the variables child_environment() sets from the profile itself
// ({CLAWDBOT,MOLTBOT,OPENCLAW}_{PROFILE,STATE_DIR,CONFIG_PATH,GATEWAY_PORT}) and from the restart
// mode (OPENCLAW_NO_RESPAWN, OPENCLAW_SUPERVISOR_MODE, OPENCLAW_SERVICE_REPAIR_POLICY): a
// profile's env or env_file setting one of them would silently move the gateway away from what
// the manifest says, or break the restart handoff, so the loader rejects that.
bool is_profile_identity_variable(std::string_view name);

// True when the name contains TOKEN, SECRET, PASSWORD or KEY, in any case (API_KEY, db_password).
bool is_secret_name(std::string_view name);

// What the loader tells a profile that sets such a variable: "is set by the supervisor from ...;
// set ... instead", to follow the variable's name.
std::string_view identity_variable_advice(std::string_view name);

}  // namespace moltbot::config
