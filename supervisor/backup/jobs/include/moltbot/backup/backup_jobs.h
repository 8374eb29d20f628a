#pragma once
// The supervisor's side of backups (docs/backups.md): each blocking step (backup_archive.h,
// restore_archive.h, state_swap.h, database_copies.h) runs in moltbot-backup, a child process of
// the supervisor started through run_cli(): its own process group, stdout read on the event loop,
// killed when its deadline passes. The loop never waits on a copy; `done` is called later from it.
//
// For a rolling reload (issue 19): copy_databases() before a profile's command or runtime changes,
// the target CLI's `database preflight` on each copy (preflight_arguments(), judged by
// preflight_verdict()), restore_databases() when a rollback finds the old release refusing the
// database (exit 78).
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/runtime/cli_run.h"

namespace moltbot::runtime {
class Reaper;
}

namespace moltbot::backup {

// A backup of 8 GiB at the speed measured here takes about a minute; ten leave room for a slow disk.
inline constexpr std::chrono::minutes job_timeout{10};

// moltbot-backup next to the running program (installed or built side by side).
std::string backup_program();

struct JobOutcome {
  std::optional<nlohmann::json> reply;  // the program's {"ok":true,...}
  std::string error;                    // one line otherwise: its own error, or how it failed
};

// `moltbot-backup ARGUMENTS...` as the supervisor's own child.
void run_job(boost::asio::io_context& io, runtime::Reaper& reaper, std::vector<std::string> arguments,
             std::function<void(JobOutcome)> done, std::chrono::milliseconds timeout = job_timeout);

struct CopiedDatabases {
  std::string dir;                 // <state>/backups/<UTC time>; empty when the profile has no database
  std::vector<std::string> files;  // <dir>/openclaw.sqlite, ...
};

// Every <state>/state/*.sqlite copied (online, consolidated) into <state>/backups/<UTC time>/,
// the newest `keep` such folders kept. `done` gets the copies, or (empty) with `error` set.
void copy_databases(boost::asio::io_context& io, runtime::Reaper& reaper, const std::string& state_dir,
                    std::size_t keep, std::function<void(std::optional<CopiedDatabases>, const std::string& error)> done);

// With the gateway stopped: the copies in `copies_dir` put back into <state>/state. `done` gets
// the error, or nothing.
void restore_databases(boost::asio::io_context& io, runtime::Reaper& reaper, const std::string& state_dir,
                       const std::string& copies_dir, std::function<void(std::optional<std::string> error)> done);

// `database preflight FILE --json`: the arguments of the target release's CLI for one copy.
std::vector<std::string> preflight_arguments(const std::string& copy);

struct PreflightVerdict {
  enum class Kind {
    passes,       // exact, startup-repairable or migration-required: the target may start on it
    refuses,      // incompatible or indeterminate: the rollout must stop before anything is stopped
    unsupported,  // no preflight answer at all (a CLI without the command): skip it
  };
  Kind kind = Kind::unsupported;
  std::string detail;  // "exact (found 1, target 1)", the reason, or how the CLI failed
};

// Judges the CLI's run by its JSON (schema openclaw.state-schema-preflight.v1) and exit status.
PreflightVerdict preflight_verdict(const runtime::CliOutcome& outcome);

}  // namespace moltbot::backup
