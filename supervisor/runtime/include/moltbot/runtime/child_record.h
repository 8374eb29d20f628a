#pragma once
// A profile's running child, recorded in its state dir (`supervisor.child`) before the child is
// reported started and removed when it is reaped, so that a supervisor started after a crash
// (supervisor.on_crash: adopt) can find it and adopt it instead of starting another. The record
// says which process (pid and start time: a pid alone may name another process by now), its
// process group, the hash of the manifest entry it was started from (config::entry_hash): a
// child whose entry changed since is restarted, not adopted; the id of the supervisor that
// started it (its marker and cgroups carry that id), and how it was told to restart.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "moltbot/config/child_environment.h"
#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

inline constexpr const char* child_record_name = "supervisor.child";

struct ChildRecord {
  ProcessId process;  // pid and start time
  pid_t pgid = 0;
  std::uint64_t entry_hash = 0;
  std::string instance;  // 32 hex digits (process_marker.h)
  config::RestartMode restart_mode = config::RestartMode::in_process;

  bool operator==(const ChildRecord&) const = default;
};

// The record of `pid`, just spawned (its start time and process group read from /proc); nullopt
// when it is gone already.
std::optional<ChildRecord> describe_child(pid_t pid, std::uint64_t entry_hash, std::string instance,
                                          config::RestartMode restart_mode);

// Replaces the record (atomically, durably, 0600: state_record.h). Nothing, or why it could not.
std::optional<std::string> record_child(const std::string& state_dir, const ChildRecord& record);

// Removes the record, once the child is reaped or known gone.
void forget_child(const std::string& state_dir);

// What the record says, if there is one and it is well-formed (a version this build reads, pid > 1,
// start time, entry hash and instance present); nothing about whether that process still runs.
std::optional<ChildRecord> read_child_record(const std::string& state_dir);

// The recorded child of `profile`, if that very process still runs and is proven ours: same pid
// and start time, not a zombie, the marker of the recorded supervisor and of `profile` in its
// environment, and running as `uid` (whoever could write the record cannot make another user's
// process look like ours); then a pidfd that holds it (opened, then its identity checked again,
// so the pid cannot have passed to another process in between). Nullopt for anything else,
// which must never be signalled.
struct RecordedChild {
  ChildRecord record;
  Pidfd pidfd;
};
std::optional<RecordedChild> find_recorded_child(const std::string& state_dir, const std::string& profile, uid_t uid);

}  // namespace moltbot::runtime
