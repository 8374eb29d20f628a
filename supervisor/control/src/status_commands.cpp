#include <unistd.h>

#include <string>
#include <vector>

#include "moltbot/common/visible_text.h"
#include "moltbot/control/fleet_commands.h"
#include "moltbot/control/grant_audit.h"
#include "moltbot/runtime/status_json.h"

namespace moltbot::control {

using nlohmann::json;

runtime::ProfileRunner& profile_runner(runtime::Fleet& fleet, const std::string& name) {
  auto* runner = fleet.find(name);
  if (!runner) throw CommandError("no-such-profile", "no profile " + quoted_visible(name) + " in this fleet");
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
  auto& feeds = context.feeds;
  commands.add("status", [&fleet, &feeds](const Request& request, ReplySink& sink) -> std::optional<json> {
    auto profile = string_arg_or(request, "profile", "");
    if (!profile.empty()) authorize(request, {profile}, feeds);
    if (!profile.empty()) profile_runner(fleet, profile);  // names the profile in the error when it does not exist
    auto statuses = profile.empty() ? fleet.status() : std::vector{*fleet.status(profile)};
    if (profile.empty() && request.peer.grants) {  // a grantee sees its granted profiles only
      std::erase_if(statuses, [&](const auto& status) { return granted_only(request, {status.name}).empty(); });
      std::vector<std::string> listed;
      for (const auto& status : statuses) listed.push_back(status.name);
      authorize(request, listed, feeds);
    }
    fleet.measure(statuses);
    // Written once into one buffer of about its final size (a profile takes about 310 bytes, more
    // with last_lines): no JSON tree, no copies, no transient blocks for the heap to give back.
    std::string line;
    line.reserve(ok_reply_begin.size() + statuses.size() * 512);
    line += ok_reply_begin;
    line += '[';
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      if (i > 0) line += ',';
      runtime::append_status_json(line, statuses[i]);
    }
    line += ']';
    line += ok_reply_end;
    sink.send_serialized(std::move(line));
    return std::nullopt;
  });
  commands.add("ports", [&fleet](const Request&, ReplySink&) -> std::optional<json> {
    auto all = json::array();
    for (const auto& status : fleet.status()) all.push_back(port_map(status));
    return all;
  });
  commands.add("version", [context](const Request&, ReplySink&) -> std::optional<json> {
    json reply{{"supervisor", MOLTBOT_VERSION}, {"protocol", protocol_version}, {"pid", ::getpid()}};
    if (context.identity) reply.update(context.identity());
    return reply;
  });
}

}  // namespace moltbot::control
