#pragma once
// The control commands of a running fleet (docs/control-protocol.md), registered next to their
// code. Handlers validate their arguments, then only route to the Fleet and its runners.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "moltbot/control/command_registry.h"
#include "moltbot/control/topic.h"
#include "moltbot/runtime/fleet.h"

namespace moltbot::control {

// The fleet's events and log lines, stamped and shaped once for every subscribed client, and not
// at all while a feed has none.
class FleetFeeds {
 public:
  explicit FleetFeeds(runtime::Fleet& fleet);
  FleetFeeds(const FleetFeeds&) = delete;
  FleetFeeds& operator=(const FleetFeeds&) = delete;

  Topic<nlohmann::json> events;  // {"time","profile","kind","from","to","message"}
  Topic<nlohmann::json> logs;    // {"profile","text"}
};

struct FleetCommandContext {
  boost::asio::io_context& io;
  runtime::Fleet& fleet;
  FleetFeeds& feeds;
  std::function<void()> shutdown;  // the same as SIGTERM: stop every profile, then exit
  // The same as SIGHUP: re-read the manifest and apply it, rolling (rollout.h) when `rolling` or
  // the manifest's defaults.rollout say so. Returns the reply's data, or throws CommandError (with
  // the manifest's diagnostics when it is invalid). When a rollout started and `finished` is set,
  // `finished` gets its final reply (ok, or `rollout-failed`) once it is over.
  std::function<nlohmann::json(bool rolling, std::function<void(nlohmann::json reply)> finished)> reload;
  // `reexec`: exec the supervisor's program afresh, keeping every gateway (daemon/reexec.h). The
  // reply goes to the client's connection from the new image, or from this one when it failed.
  std::function<void(ReplySink&)> reexec;
  // Added to `version`'s reply: which build runs and how often it was re-executed.
  std::function<nlohmann::json()> identity;
};

// status, ports, version
void add_status_commands(CommandRegistry& commands, const FleetCommandContext& context);
// start, stop, restart (with --wait), reset, signal, shutdown, reload, reexec
void add_lifecycle_commands(CommandRegistry& commands, const FleetCommandContext& context);
// logs, events
void add_stream_commands(CommandRegistry& commands, const FleetCommandContext& context);
// exec-environment: a profile's child environment and a command with its placeholders expanded,
// for `moltbot-supervisorctl exec`; only for root and the supervisor's own uid
void add_exec_commands(CommandRegistry& commands, const FleetCommandContext& context);

// backup, restore: a profile's state dir into an archive and back (docs/backups.md); only for root
// and the supervisor's own uid
void add_backup_commands(CommandRegistry& commands, const FleetCommandContext& context);

// exec: a command run by the supervisor in a profile's environment, its output streamed back (for
// peers served through control.grants, who may not have the environment itself)
void add_run_commands(CommandRegistry& commands, const FleetCommandContext& context);

// "2026-11-25T19:31:39.123Z": the time of an event.
std::string utc_timestamp();

// The profile's runner, or CommandError "no-such-profile".
runtime::ProfileRunner& profile_runner(runtime::Fleet& fleet, const std::string& name);

}  // namespace moltbot::control
