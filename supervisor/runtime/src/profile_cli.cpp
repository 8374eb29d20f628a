#include "moltbot/runtime/profile_cli.h"

#include <fmt/format.h>

#include "moltbot/common/program_lookup.h"
#include "moltbot/config/child_environment.h"
#include "moltbot/config/run_as.h"
#include "moltbot/gateway/launch_spec.h"

namespace moltbot::runtime {

std::variant<std::vector<std::string>, std::string> resolve_profile_cli(const config::Profile& profile,
                                                                        const Environment& supervisor_env) {
  auto argv = gateway::expand_arguments(profile.cli, profile);
  if (auto* error = std::get_if<std::string>(&argv)) return "cli " + *error;
  auto& expanded = std::get<std::vector<std::string>>(argv);
  auto child = config::child_environment(profile, supervisor_env);
  if (child.error) return *child.error;
  auto program = resolve_program(expanded.front(), child.env, gateway::own_executable_dir());
  if (!program)
    return fmt::format("cli program \"{}\" not found in PATH ({})", expanded.front(),
                       lookup(child.env, "PATH").value_or(""));
  expanded.front() = std::move(*program);
  return std::move(expanded);
}

SpawnRequest profile_request(const config::Profile& profile, std::vector<std::string> argv, Environment env) {
  SpawnRequest request{std::move(argv), std::move(env), profile.state_dir};
  request.run_as = config::switched_account(profile);
  return request;
}

std::variant<SpawnRequest, std::string> profile_cli_request(const config::Profile& profile,
                                                            const Environment& supervisor_env,
                                                            const std::vector<std::string>& arguments,
                                                            config::RestartMode mode) {
  auto resolved = resolve_profile_cli(profile, supervisor_env);
  if (auto* error = std::get_if<std::string>(&resolved)) return *error;
  auto argv = std::move(std::get<std::vector<std::string>>(resolved));
  auto child = config::child_environment(profile, supervisor_env, mode);
  if (child.error) return *child.error;
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return profile_request(profile, std::move(argv), std::move(child.env));
}

}  // namespace moltbot::runtime
