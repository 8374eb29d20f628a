#pragma once
// A profile's running child, recorded in its state dir (`supervisor.child`) before the child is
// reported started and removed when it is reaped, so that a supervisor started after a crash
// (supervisor.on_crash: adopt) can find it and adopt it instead of starting another. The record
// says which process (pid and start time: a pid alone may name another process by now), its
// process group, and the hash of the manifest entry it was started from (config::entry_hash): a
// child whose entry changed since is restarted, not adopted.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

inline constexpr const char* child_record_name = "supervisor.child";

struct ChildRecord {
  ProcessId process;  // pid and start time
  pid_t pgid = 0;
  std::uint64_t entry_hash = 0;

  bool operator==(const ChildRecord&) const = default;
};

// The record of `pid`, just spawned (its start time and process group read from /proc); nullopt
// when it is gone already.
std::optional<ChildRecord> describe_child(pid_t pid, std::uint64_t entry_hash);

// Replaces the record (atomically, durably, 0600: state_record.h). Nothing, or why it could not.
std::optional<std::string> record_child(const std::string& state_dir, const ChildRecord& record);

// Removes the record, once the child is reaped or known gone.
void forget_child(const std::string& state_dir);

// What the record says, if there is one and it is well-formed (a version this build reads, pid > 1,
// start time and entry hash present); nothing about whether that process still runs.
std::optional<ChildRecord> read_child_record(const std::string& state_dir);

// The recorded child, if that very process still runs: same pid and start time, not a zombie;
// then a pidfd that holds it (opened, then its identity checked again, so the pid cannot have
// passed to another process in between). Nullopt for anything else, which must never be
// signalled: a process with the recorded pid and another start time is not ours.
struct RecordedChild {
  ChildRecord record;
  Pidfd pidfd;
};
std::optional<RecordedChild> find_recorded_child(const std::string& state_dir);

}  // namespace moltbot::runtime
