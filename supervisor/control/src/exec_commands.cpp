#include <unistd.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "moltbot/common/text_file.h"
#include "exec_argv.h"
#include "moltbot/control/fleet_commands.h"

namespace moltbot::control {

using nlohmann::json;

namespace {

constexpr const char* command_name = "exec-environment";

// The env_file secrets are readable by the supervisor's uid alone; the socket must not widen
// that to every member of socket_group.
void require_privileged(const Request& request) {
  if (request.peer.privileged) return;
  throw CommandError("not-permitted",
                     fmt::format("{} hands out the profile's environment, env_file secrets included: only root or "
                                 "uid {} may use it (this is uid {}, admitted as a member of socket_group); the "
                                 "`exec` command runs a command in it through the supervisor instead",
                                 command_name, ::geteuid(), request.peer.uid));
}

// The environment as a JSON object. JSON carries UTF-8 only: a variable that is not is named
// (never its value) rather than sent mangled.
json environment_object(const Environment& env, const std::string& profile) {
  json object = json::object();
  for (const auto& [name, value] : env) {
    if (non_text_reason(name) || non_text_reason(value))
      throw CommandError("environment-unavailable",
                         fmt::format("profile \"{}\": the environment variable {} is not UTF-8 text, which the control "
                                     "protocol cannot carry",
                                     profile, non_text_reason(name) ? "whose name is not shown" : name));
    object[name] = value;
  }
  return object;
}

}  // namespace

void add_exec_commands(CommandRegistry& commands, const FleetCommandContext& context) {
  auto& fleet = context.fleet;
  commands.add(command_name, [&fleet](const Request& request, ReplySink&) -> std::optional<json> {
    require_privileged(request);
    auto& runner = profile_runner(fleet, string_arg(request, "profile"));
    const auto& profile = runner.profile();
    auto argv = expanded_argv(request, profile);
    auto built = fleet.exec_environment(profile.name).value();  // the runner exists
    if (auto* problem = std::get_if<std::string>(&built)) throw CommandError("environment-unavailable", *problem);
    return json{{"profile", profile.name},
                {"argv", std::move(argv)},
                {"env", environment_object(std::get<Environment>(built), profile.name)}};
  });
}

}  // namespace moltbot::control
