#pragma once
// Everything of one profile besides its gateway, and how it is signalled and ended: its cgroup
// where it has one (cgroup_members.h), otherwise what /proc shows (proc_members.h). A
// ProfileProcess holds one; ProcessTracking chooses which.
#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/resource_usage.h"
#include "moltbot/runtime/shortage.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

// The profile's gateway while it is not reaped: until then its pid cannot pass to another
// process, and its process group's id names its group alone. A gateway adopted after a crash of
// the supervisor is init's child, reaped by init at any moment: it is reached through the pidfd
// the supervisor holds on it, and its group only while that shows it still there.
struct RunningLeader {
  pid_t pid;
  int adopted_pidfd = -1;  // set for an adopted gateway

  // Through a pidfd opened for this signal: one descriptor per gateway held all the time would
  // be a third of a small descriptor limit (a lock, a pipe and a pidfd each). Short of
  // descriptors, the pid itself is as safe while the leader is not reaped.
  bool signal(int signal) const {
    if (adopted_pidfd >= 0) return signal_through_pidfd(adopted_pidfd, signal);
    if (auto handle = Pidfd::open(pid)) return handle->signal(signal);
    return ::kill(pid, signal) == 0;
  }
  // Whether its process group's id still names its group alone.
  bool group_is_its_own() const { return adopted_pidfd < 0 || signal(0); }
};

class ProfileMembers {
 public:
  virtual ~ProfileMembers() = default;

  // `cgroup.procs` of the profile's cgroup opened for writing, for the next spawn to join (the
  // caller closes it after the spawn); -1 when the profile has no cgroup; or why it cannot be opened
  // (a Shortage when the supervisor is out of descriptors).
  virtual std::variant<int, std::string, Shortage> open_join_fd() = 0;
  // A new gateway, `leader` (leader of its own process group), was started.
  virtual void started(pid_t leader) = 0;
  // The gateway was just reaped: from now on its pid, its group's id, may name other processes.
  virtual void leader_reaped() = 0;
  // The profile's live processes, `leader` (0 when none runs) first; keeps the leftover record
  // current. For the listener check: a gateway port held by any of them is the profile's.
  virtual std::vector<pid_t> family(pid_t leader) = 0;
  // After each probe: keeps what a successor of a crashed supervisor finds the profile's processes
  // by current (the leftover record of its descendants; a cgroup needs nothing).
  virtual void refresh_record(pid_t leader) = 0;
  // `signal` to every process of the profile, `leader` (nullptr when none runs) included, each
  // exactly once, none but through a pidfd or an id that cannot have been reused.
  virtual void signal_all(int signal, const RunningLeader* leader) = 0;
  // What the processes of family(leader) use (resource_usage.h).
  virtual ResourceUsage usage(pid_t leader) { return usage_of_processes(family(leader)); }
  // Whether anything of the profile but its gateway (reaped) is still alive.
  virtual bool has_leftovers() = 0;
  // `changed` runs when processes may have left without a reaped child of the supervisor saying
  // so (its cgroup emptied).
  virtual void on_change(std::function<void()> changed) = 0;

  // The profile's limits as ProcessTracking::members_for applied them (limit_support.h): what
  // its gateway's process is given, and one line per limit not enforced here, with why.
  ChildLimits child_limits;
  std::vector<std::string> unenforced_limits;
};

}  // namespace moltbot::runtime
