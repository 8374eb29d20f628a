#pragma once
// Reloading the manifest (SIGHUP and the `reload` control command, issue 6): it is read and
// checked like `check`; an unreadable or invalid one changes nothing, a valid one is applied to
// the running fleet (runtime::Fleet::reload). Every outcome is logged.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"
#include "moltbot/config/manifest_diff.h"
#include "moltbot/runtime/fleet.h"

namespace moltbot::daemon {

struct ReloadOutcome {
  enum class Verdict {
    applied,        // `changes` are under way
    unreadable,     // the file cannot be read as a manifest: `diagnostics` holds that one problem
    invalid,        // `diagnostics` holds errors
    refused,        // valid, but it cannot be applied: `problems` (a lock held elsewhere, ...)
    shutting_down,  // the supervisor is stopping every profile
  };
  Verdict verdict = Verdict::applied;
  std::string manifest_path;
  config::Diagnostics diagnostics;  // everything `check` finds (only warnings when applied)
  config::ProfileChanges changes;
  std::vector<std::string> warnings;  // supervisor settings that changed: they need a supervisor restart
  std::vector<std::string> problems;
};

class ManifestReloader {
 public:
  // `running`: the supervisor settings in effect, which a reload cannot change.
  // `applied_text`: the manifest's text the fleet was created from.
  ManifestReloader(std::string manifest_path, Environment env, runtime::Fleet& fleet,
                   config::SupervisorSettings running, std::string applied_text);

  // `cause` ("SIGHUP received") goes into the log lines.
  ReloadOutcome reload(const std::string& cause);
  // The text of the manifest in effect (the last one applied): what a re-exec carries across.
  const std::string& applied_text() const { return applied_text_; }

 private:
  ReloadOutcome check_and_apply();

  const std::string manifest_path_;
  const Environment env_;
  runtime::Fleet& fleet_;
  const config::SupervisorSettings running_;
  std::string applied_text_;
};

// The `reload` command's reply data when the reload was applied; otherwise throws
// control::CommandError, with every diagnostic of an unreadable or invalid manifest.
nlohmann::json reload_reply(const ReloadOutcome& outcome);

}  // namespace moltbot::daemon
