// `exec`: a command the supervisor runs as one of a profile's own processes, for a client that may
// not be handed the profile's environment (its env_file secrets): a peer served through a control
// grant, or a member of socket_group. Its output comes back as stream lines, its exit status as
// the reply; the command dies with the client's connection.
#include <fmt/format.h>

#include <memory>
#include <set>

#include "exec_argv.h"
#include "moltbot/common/base64.h"
#include "moltbot/common/signal_names.h"
#include "moltbot/common/visible_text.h"
#include "moltbot/control/fleet_commands.h"
#include "moltbot/control/grant_audit.h"

namespace moltbot::control {

using nlohmann::json;

namespace {

json exit_json(const runtime::ExitStatus& exit) {
  return {{"code", exit.signal == 0 ? json(exit.code) : json(nullptr)},
          {"signal", exit.signal == 0 ? json(nullptr) : json(signal_name(exit.signal))}};
}

}  // namespace

void add_run_commands(CommandRegistry& commands, const FleetCommandContext& context) {
  auto& fleet = context.fleet;
  auto& feeds = context.feeds;
  // The connections with a command running: one at a time each.
  auto running = std::make_shared<std::set<const ReplySink*>>();
  commands.add("exec", [&fleet, &feeds, running](const Request& request, ReplySink& sink) -> std::optional<json> {
    auto profile = string_arg(request, "profile");
    const auto typed = string_list_arg(request, "argv");
    // Audited with the program, not its arguments: they may carry the caller's own secrets.
    authorize(request, {profile}, feeds, typed.empty() ? "" : "(program " + quoted_visible(typed.front()) + ")");
    auto argv = expanded_argv(request, profile_runner(fleet, profile).profile());
    if (running->contains(&sink))
      throw CommandError("busy", "a command started by exec still runs on this connection: one at a time");
    json data{{"profile", profile}, {"argv", argv}};
    runtime::StreamedRun::Callbacks callbacks{
        [&sink](int fd, std::string_view bytes) {
          sink.run_guarded(runtime::Handler::stream, [&] {
            sink.send_stream(stream_message(fd == 1 ? "stdout" : "stderr", base64_encode(bytes)));
          });
        },
        [&sink, running, data](std::optional<runtime::ExitStatus> exit, const std::string& failure) mutable {
          running->erase(&sink);
          sink.run_guarded(runtime::Handler::stream, [&] {
            if (!exit) return sink.send(error_reply("internal", failure));
            data["exit"] = exit_json(*exit);
            sink.send(ok_reply(std::move(data)));
          });
        }};
    auto started = fleet.run_in_profile(profile, std::move(argv), std::move(callbacks));
    if (auto* problem = std::get_if<std::string>(&started)) throw CommandError("exec-failed", *problem);
    std::weak_ptr<runtime::StreamedRun> run = std::get<std::shared_ptr<runtime::StreamedRun>>(started);
    running->insert(&sink);
    // Ends with the connection: what still runs of the command is killed.
    sink.keep_until_closed(std::shared_ptr<void>(nullptr, [run, running, &sink](void*) {
      running->erase(&sink);
      if (auto alive = run.lock()) alive->abandon();
    }));
    return std::nullopt;
  });
}

}  // namespace moltbot::control
