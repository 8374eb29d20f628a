#pragma once
// `restore PROFILE --from FILE` (docs/backups.md, "Restore"), step by step on the event loop, the
// file work in moltbot-backup children (backup_jobs.h): the archive is verified and staged inside
// the state dir while the gateway still runs, then the profile is stopped, its state moved aside
// and the staged one moved in, and it is started. When it does not start (exits, goes fatal, or
// is not running within the timeout) it is stopped again, the restored state is moved into
// .restore-failed-TIME and the previous one back, and it is started as it was.
// Once past staging a restore always runs to its end, also when its client goes away.
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "moltbot/control/fleet_commands.h"

namespace moltbot::control {

struct RestoreResult {
  bool ok = false;
  std::string code;     // on failure: restore-refused (nothing changed), restore-failed (rolled back), system
  std::string message;  // one line
  nlohmann::json data;  // on success: counts, the folder holding the previous state
};

void restore_profile(const FleetCommandContext& context, const std::string& profile, const std::string& archive,
                     std::chrono::milliseconds start_timeout, std::function<void(RestoreResult)> done);

}  // namespace moltbot::control
