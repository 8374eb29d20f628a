// `exec`: a command the supervisor runs as one of a profile's own processes, for a client that may
// not be handed the profile's environment (its env_file secrets): a peer served through a control
// grant, or a member of socket_group. Its output comes back as stream lines, its exit status as
// the reply; the command dies with the client's connection. With `stdin`, the client feeds its
// stdin through `exec-input` requests on the same connection, one chunk at a time: each is
// acknowledged (`stdin_written`) once it is in the pipe, so a command that reads slowly holds the
// client up rather than filling the supervisor's memory.
#include <fmt/format.h>

#include <map>
#include <memory>

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
  auto running = std::make_shared<std::map<const ReplySink*, std::weak_ptr<runtime::StreamedRun>>>();
  commands.add("exec", [&fleet, &feeds, running](const Request& request, ReplySink& sink) -> std::optional<json> {
    auto profile = string_arg(request, "profile");
    const auto typed = string_list_arg(request, "argv");
    // Audited with the program, not its arguments: they may carry the caller's own secrets.
    authorize(request, {profile}, feeds, typed.empty() ? "" : "(program " + quoted_visible(typed.front()) + ")");
    auto argv = expanded_argv(request, profile_runner(fleet, profile).profile());
    if (running->contains(&sink))
      throw CommandError("busy", "a command started by exec still runs on this connection: one at a time");
    const auto input = bool_arg_or(request, "stdin", false) ? runtime::ChildInput::pipe : runtime::ChildInput::none;
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
    auto started = fleet.run_in_profile(profile, std::move(argv), std::move(callbacks), input);
    if (auto* problem = std::get_if<std::string>(&started)) throw CommandError("exec-failed", *problem);
    std::weak_ptr<runtime::StreamedRun> run = std::get<std::shared_ptr<runtime::StreamedRun>>(started);
    running->insert_or_assign(&sink, run);
    // Ends with the connection: what still runs of the command is killed.
    sink.keep_until_closed(std::shared_ptr<void>(nullptr, [run, running, &sink](void*) {
      running->erase(&sink);
      if (auto alive = run.lock()) alive->abandon();
    }));
    return std::nullopt;
  });
  // No reply of its own: the answer is a `stdin_written` (the chunk's byte count) or a
  // `stdin_closed` (why no more is taken: the command closed its stdin or has ended) stream line.
  commands.add("exec-input", [running](const Request& request, ReplySink& sink) -> std::optional<json> {
    const bool end = bool_arg_or(request, "eof", false);
    auto bytes = end ? std::optional<std::string>("") : base64_decode(string_arg(request, "data"));
    if (!bytes) throw CommandError("bad-argument", "argument \"data\" is not base64");
    auto found = running->find(&sink);
    auto run = found == running->end() ? nullptr : found->second.lock();
    if (!run) {
      if (!end) sink.send(stream_message("stdin_closed", "no command started by exec runs on this connection"));
      return std::nullopt;
    }
    if (end) {
      run->close_input();
      return std::nullopt;
    }
    const auto size = bytes->size();
    run->write_input(std::move(*bytes), [&sink, size](std::optional<std::string> failure) {
      sink.run_guarded(runtime::Handler::stream, [&] {
        sink.send(failure ? stream_message("stdin_closed", *failure) : stream_message("stdin_written", size));
      });
    });
    return std::nullopt;
  });
}

}  // namespace moltbot::control
