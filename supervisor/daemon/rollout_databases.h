#pragma once
// The databases of a rolling reload (docs/supervisor.md#rolling-reload, docs/backups.md): before a
// profile's command or CLI changes, each <state>/state/*.sqlite is copied online into
// <state>/backups/ (the newest `keep` kept) and the new release's `database preflight` judges each
// copy (a refusal stops the rollout before anything is stopped); a profile rolled back whose old
// release then refuses the database (exit 78) gets its pre-change copies back. Everything runs as
// children of the supervisor (moltbot-backup, the profile's CLI), from the loop.
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <string>

#include "moltbot/common/environment.h"
#include "moltbot/runtime/reaper.h"
#include "moltbot/runtime/rollout.h"

namespace moltbot::daemon {

class RolloutDatabases : public std::enable_shared_from_this<RolloutDatabases> {
 public:
  // Both outlive it; `keep`: defaults.rollout.keep_backups.
  RolloutDatabases(boost::asio::io_context& io, runtime::Reaper& reaper, Environment supervisor_env, std::size_t keep);

  // The hooks of one rollout; they hold this object.
  runtime::RolloutHooks hooks();

 private:
  using Proceed = std::function<void(std::optional<std::string>)>;
  void copy_then_preflight(const config::Profile& next, Proceed proceed);
  void preflight(std::shared_ptr<const config::Profile> next, std::vector<std::string> copies, std::size_t index,
                 Proceed proceed);
  void put_back(const config::Profile& previous, std::function<void(bool)> done);

  boost::asio::io_context& io_;
  runtime::Reaper& reaper_;
  const Environment supervisor_env_;
  const std::size_t keep_;
  std::map<std::string, std::string> copies_;  // profile -> the folder of its pre-change copies
};

}  // namespace moltbot::daemon
