// `backup` and `restore` (docs/backups.md): a profile's state dir and config file into a 0600
// archive while its gateway runs, and back. Both hand over or replace everything the profile
// keeps, its tokens and env-file-sized secrets included, so only root and the supervisor's uid may
// use them, like exec-environment: not members of socket_group, and no control grant gives them.
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <set>

#include "moltbot/backup/backup_jobs.h"
#include "moltbot/control/fleet_commands.h"
#include "profile_restore.h"

namespace moltbot::control {

using nlohmann::json;

namespace {

constexpr long default_start_timeout_ms = 120000;
constexpr long max_start_timeout_ms = 3600 * 1000;

void require_privileged(const Request& request) {
  if (request.peer.privileged) return;
  throw CommandError("not-permitted",
                     fmt::format("{} reads or replaces everything profile keeps, its secrets included: only root or "
                                 "uid {} may use it (this is uid {})",
                                 request.command, ::geteuid(), request.peer.uid));
}

std::string absolute_path_arg(const Request& request, const char* name) {
  auto path = string_arg(request, name);
  if (!path.starts_with('/')) throw CommandError("bad-argument", fmt::format("{}: an absolute path is needed", name));
  return path;
}

// Replies once, unless the client has gone: `alive` expires with its connection.
std::function<void(json)> reply_later(ReplySink& sink) {
  auto alive = std::make_shared<int>(0);
  sink.keep_until_closed(alive);
  return [&sink, weak = std::weak_ptr<int>(alive)](json reply) {
    if (weak.expired()) return;
    sink.run_guarded(runtime::Handler::cli, [&] { sink.send(reply); });
  };
}

}  // namespace

void add_backup_commands(CommandRegistry& commands, const FleetCommandContext& context) {
  // Profiles with a restore under way: neither backed up nor restored again meanwhile.
  auto restoring = std::make_shared<std::set<std::string>>();

  commands.add("backup", [context, restoring](const Request& request, ReplySink& sink) -> std::optional<json> {
    require_privileged(request);
    const auto& profile = profile_runner(context.fleet, string_arg(request, "profile")).profile();
    const std::string out = absolute_path_arg(request, "out");
    if (restoring->contains(profile.name))
      throw CommandError("busy", fmt::format("profile \"{}\" is being restored", profile.name));
    auto reply = reply_later(sink);
    // Held by the job's callback until it replies: a re-exec waits for it.
    auto under_way = context.fleet.begin_operation(fmt::format("a backup of profile {}", profile.name));
    backup::run_job(context.io, context.fleet.reaper(),
                    {"create", "--state", profile.state_dir, "--config", profile.config_path, "--out", out},
                    [reply, under_way, name = profile.name, out](backup::JobOutcome outcome) {
                      if (!outcome.reply) {
                        spdlog::warn("backup: profile {} to {}: {}", name, out, outcome.error);
                        return reply(error_reply("backup-failed", outcome.error));
                      }
                      spdlog::info("backup: profile {} to {}: {} files ({} databases), {} bytes in {} ms", name, out,
                                   outcome.reply->value("files", 0), outcome.reply->value("databases", 0),
                                   outcome.reply->value("archive_bytes", 0LL), outcome.reply->value("duration_ms", 0LL));
                      json data = std::move(*outcome.reply);
                      data.erase("ok");
                      data["profile"] = name;
                      reply(ok_reply(std::move(data)));
                    });
    return std::nullopt;
  });

  commands.add("restore", [context, restoring](const Request& request, ReplySink& sink) -> std::optional<json> {
    require_privileged(request);
    const std::string name = profile_runner(context.fleet, string_arg(request, "profile")).profile().name;
    const std::string from = absolute_path_arg(request, "from");
    const auto timeout =
        std::chrono::milliseconds(number_arg_or(request, "timeout_ms", default_start_timeout_ms, 1, max_start_timeout_ms));
    if (!restoring->insert(name).second)
      throw CommandError("busy", fmt::format("profile \"{}\" is being restored already", name));
    auto reply = reply_later(sink);
    // Held by the restore's callback until it replies: a re-exec waits for it.
    auto under_way = context.fleet.begin_operation(fmt::format("a restore of profile {}", name));
    restore_profile(context, name, from, timeout, [reply, restoring, under_way, name](RestoreResult result) {
      restoring->erase(name);
      reply(result.ok ? ok_reply(std::move(result.data)) : error_reply(result.code, result.message));
    });
    return std::nullopt;
  });
}

}  // namespace moltbot::control
