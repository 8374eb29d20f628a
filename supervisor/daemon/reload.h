#pragma once
// Reloading the manifest (SIGHUP and the `reload` control command, issue 6): it is read and
// checked like `check`; an unreadable or invalid one changes nothing, a valid one is applied to
// the running fleet (runtime::Fleet::reload). Every outcome is logged.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
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
    rolling,        // a rolling reload of `changes` started (rollout.h); it reports when it is over
    busy,           // a rolling reload is under way: nothing was read
  };
  Verdict verdict = Verdict::applied;
  std::string manifest_path;
  config::Diagnostics diagnostics;  // everything `check` finds (only warnings when applied)
  config::ProfileChanges changes;
  // Supervisor settings that changed and need a supervisor restart; grants that could not be applied.
  std::vector<std::string> warnings;
  std::vector<std::string> problems;
};

class ManifestReloader {
 public:
  // Puts new control.grants in effect (ControlServer::replace_grants), or says why it cannot.
  using GrantsApplier = std::function<std::optional<std::string>(std::vector<config::ControlGrant>)>;

  // `running`: the supervisor settings in effect, which a reload cannot change but for
  // control.grants, which `apply_grants` changes once the profiles' changes are under way.
  // `applied_text`: the manifest's text the fleet was created from.
  ManifestReloader(std::string manifest_path, Environment env, runtime::Fleet& fleet,
                   config::SupervisorSettings running, config::Manifest applied, std::string applied_text,
                   GrantsApplier apply_grants);

  using RolloutFinished = std::function<void(const runtime::RolloutReport&)>;
  // `cause` ("SIGHUP received") goes into the log lines. `rolling`, or defaults.rollout in the new
  // manifest: changed profiles are replaced one at a time (Verdict::rolling), and `finished` gets
  // the report once the rollout is over. The new manifest (its text, its grants) is in effect only
  // once every change proved itself; a rollout that failed leaves the previous one in effect.
  ReloadOutcome reload(const std::string& cause, bool rolling = false, RolloutFinished finished = {});
  // The text of the manifest in effect (the last one applied): what a re-exec carries across.
  const std::string& applied_text() const { return applied_text_; }

 private:
  ReloadOutcome check_and_apply(bool rolling, RolloutFinished finished);
  // The new manifest in effect: its text for a re-exec, its grants on the socket.
  void take_effect(config::Manifest manifest, std::string text, ReloadOutcome& outcome);

  const std::string manifest_path_;
  const Environment env_;
  runtime::Fleet& fleet_;
  config::SupervisorSettings running_;
  config::Manifest applied_;
  std::string applied_text_;
  GrantsApplier apply_grants_;
};

// The `reload` command's reply data when the reload was applied or a rollout started; otherwise
// throws control::CommandError, with every diagnostic of an unreadable or invalid manifest.
nlohmann::json reload_reply(const ReloadOutcome& outcome);
// The final reply of a rolling reload: ok with what it replaced, or a `rollout-failed` error naming
// the profile, why, its last log lines and what was rolled back.
nlohmann::json rollout_reply(const runtime::RolloutReport& report);

}  // namespace moltbot::daemon
