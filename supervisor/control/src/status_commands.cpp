#include <unistd.h>

#include "moltbot/control/fleet_commands.h"
#include "moltbot/runtime/status_json.h"

namespace moltbot::control {

using nlohmann::json;

runtime::ProfileRunner& profile_runner(runtime::Fleet& fleet, const std::string& name) {
  auto* runner = fleet.find(name);
  if (!runner) throw CommandError("no-such-profile", "no profile \"" + name + "\" in this fleet");
  return *runner;
}

namespace {

json port_map(const runtime::ProfileStatus& status) {
  auto uses = json::array();
  for (const auto& use : status.ports.uses)
    uses.push_back({{"name", use.name}, {"first", use.range.first}, {"last", use.range.last}});
  return {{"name", status.name}, {"role", status.role == Role::rescue ? "rescue" : "main"}, {"ports", uses}};
}

}  // namespace

void add_status_commands(CommandRegistry& commands, const FleetCommandContext& context) {
  auto& fleet = context.fleet;
  commands.add("status", [&fleet](const Request& request, ReplySink&) -> std::optional<json> {
    auto profile = string_arg_or(request, "profile", "");
    if (profile.empty()) return runtime::status_json(fleet.status());
    return json::array({runtime::status_json(profile_runner(fleet, profile).status())});
  });
  commands.add("ports", [&fleet](const Request&, ReplySink&) -> std::optional<json> {
    auto all = json::array();
    for (const auto& status : fleet.status()) all.push_back(port_map(status));
    return all;
  });
  commands.add("version", [](const Request&, ReplySink&) -> std::optional<json> {
    return json{{"supervisor", MOLTBOT_VERSION}, {"protocol", protocol_version}, {"pid", ::getpid()}};
  });
}

}  // namespace moltbot::control
