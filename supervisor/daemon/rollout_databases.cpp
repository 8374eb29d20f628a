#include "rollout_databases.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "moltbot/backup/backup_jobs.h"
#include "moltbot/runtime/cli_run.h"
#include "moltbot/runtime/profile_cli.h"

namespace moltbot::daemon {

namespace {

// A preflight reads a copy; a real gateway's CLI takes a few seconds to load.
constexpr std::chrono::seconds preflight_timeout{120};

// What runs the gateway: a new command or CLI may be another release, with another schema.
bool release_changed(const config::Profile& previous, const config::Profile& next) {
  return previous.command != next.command || previous.cli != next.cli;
}

}  // namespace

RolloutDatabases::RolloutDatabases(boost::asio::io_context& io, runtime::Reaper& reaper, Environment supervisor_env,
                                   std::size_t keep)
    : io_(io), reaper_(reaper), supervisor_env_(std::move(supervisor_env)), keep_(keep) {}

runtime::RolloutHooks RolloutDatabases::hooks() {
  auto self = shared_from_this();
  return {[self](const config::Profile& previous, const config::Profile& next, Proceed proceed) {
            if (!release_changed(previous, next))
              return boost::asio::post(self->io_, [proceed = std::move(proceed)] { proceed(std::nullopt); });
            self->copy_then_preflight(next, std::move(proceed));
          },
          [self](const config::Profile& previous, std::function<void(bool)> done) {
            self->put_back(previous, std::move(done));
          }};
}

void RolloutDatabases::copy_then_preflight(const config::Profile& next, Proceed proceed) {
  auto entry = std::make_shared<const config::Profile>(next);
  backup::copy_databases(
      io_, reaper_, next.state_dir, keep_,
      [self = shared_from_this(), entry, proceed = std::move(proceed)](
          std::optional<backup::CopiedDatabases> copies, const std::string& error) mutable {
        if (!copies) return proceed("its databases cannot be copied before the change: " + error);
        if (copies->files.empty()) return proceed(std::nullopt);
        spdlog::info("rollout: profile {}: databases copied into {} before the change", entry->name, copies->dir);
        self->copies_[entry->name] = copies->dir;
        // Without a CLI (`cli: []`) there is no preflight to ask.
        if (entry->cli.empty()) return proceed(std::nullopt);
        self->preflight(entry, std::move(copies->files), 0, std::move(proceed));
      });
}

void RolloutDatabases::preflight(std::shared_ptr<const config::Profile> next, std::vector<std::string> copies,
                                 std::size_t index, Proceed proceed) {
  if (index == copies.size()) return proceed(std::nullopt);
  auto request = runtime::profile_cli_request(*next, supervisor_env_, backup::preflight_arguments(copies[index]),
                                              config::RestartMode::in_process);
  if (auto* error = std::get_if<std::string>(&request))
    return proceed(fmt::format("the new release's database preflight cannot run: {}", *error));
  runtime::run_cli(
      io_, reaper_, std::move(std::get<runtime::SpawnRequest>(request)), preflight_timeout,
      [self = shared_from_this(), next, copies = std::move(copies), index, proceed = std::move(proceed)](
          runtime::CliOutcome outcome) mutable {
        const auto verdict = backup::preflight_verdict(outcome);
        const std::string& copy = copies[index];
        if (verdict.kind == backup::PreflightVerdict::Kind::refuses)
          return proceed(fmt::format("the new release's database preflight refuses {}: {}", copy, verdict.detail));
        spdlog::info("rollout: profile {}: database preflight of {}: {}", next->name, copy,
                     verdict.kind == backup::PreflightVerdict::Kind::passes ? verdict.detail
                                                                            : "not supported by its CLI, skipped");
        self->preflight(next, std::move(copies), index + 1, std::move(proceed));
      });
}

void RolloutDatabases::put_back(const config::Profile& previous, std::function<void(bool)> done) {
  auto found = copies_.find(previous.name);
  if (found == copies_.end()) return boost::asio::post(io_, [done = std::move(done)] { done(false); });
  backup::restore_databases(io_, reaper_, previous.state_dir, found->second,
                            [name = previous.name, done = std::move(done)](std::optional<std::string> error) {
                              if (error) spdlog::error("rollout: profile {}: its databases cannot be put back: {}", name, *error);
                              else spdlog::info("rollout: profile {}: its databases are back as before the change", name);
                              done(!error);
                            });
}

}  // namespace moltbot::daemon
