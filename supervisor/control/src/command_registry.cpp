#include "moltbot/control/command_registry.h"

#include <spdlog/spdlog.h>

#include <exception>

#include "moltbot/common/visible_text.h"
#include "moltbot/control/peer_grants.h"

namespace moltbot::control {

void CommandRegistry::add(std::string name, Handler handler) { commands_[std::move(name)] = std::move(handler); }

void CommandRegistry::dispatch(std::string_view line, const Peer& peer, ReplySink& sink) const {
  auto parsed = parse_request(line);
  if (auto* error = std::get_if<CommandError>(&parsed)) {
    ++requests_["malformed"];
    return sink.send(error_reply(error->code(), error->message()));
  }
  auto& request = std::get<Request>(parsed);
  request.peer = peer;
  auto command = commands_.find(request.command);
  ++requests_[command == commands_.end() ? std::string("unknown") : command->first];
  if (command == commands_.end())
    return sink.send(error_reply("unknown-command", "unknown command " + quoted_visible(request.command)));
  // A peer served through grants gets no further for a command no grant gives; the handlers check
  // the profiles (grant_audit.h).
  if (peer.grants && !peer.grants->grants_command(request.command)) {
    auto refusal = peer.grants->refusal(request.command);
    spdlog::warn("control: refused: {}", refusal);
    return sink.send(error_reply("not-permitted", refusal));
  }
  try {
    if (auto data = command->second(request, sink)) sink.send(ok_reply(std::move(*data)));
  } catch (const CommandError& error) {
    sink.send(error_reply(error.code(), error.message(), error.details()));
  } catch (const std::exception& error) {
    spdlog::error("control: command {} failed: {}", request.command, error.what());
    sink.send(error_reply("internal", error.what()));
  }
}

}  // namespace moltbot::control
