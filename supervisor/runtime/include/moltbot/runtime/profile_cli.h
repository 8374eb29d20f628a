#pragma once
// A profile's own CLI (`cli:`, e.g. `openclaw --profile main`) as a command the supervisor runs:
// for ProfileProcess (the restart handoff) and for a rolling reload, which asks the CLI of an entry
// that does not run yet (`database preflight` of the target release).
#include <string>
#include <variant>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/config/child_environment.h"
#include "moltbot/config/manifest.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

// The CLI's argv with placeholders expanded and its program looked up in the profile's child
// environment's PATH, then next to the supervisor; or why not ("cli program ... not found").
std::variant<std::vector<std::string>, std::string> resolve_profile_cli(const config::Profile& profile,
                                                                        const Environment& supervisor_env);

// `argv` run as one of the profile's own processes: as its user, in its state dir, with `env`.
SpawnRequest profile_request(const config::Profile& profile, std::vector<std::string> argv, Environment env);

// resolve_profile_cli() with `arguments` after it, in the child environment of `mode`.
std::variant<SpawnRequest, std::string> profile_cli_request(const config::Profile& profile,
                                                            const Environment& supervisor_env,
                                                            const std::vector<std::string>& arguments,
                                                            config::RestartMode mode);

}  // namespace moltbot::runtime
