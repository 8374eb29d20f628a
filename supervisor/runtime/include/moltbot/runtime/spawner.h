#pragma once
// fork + exec with everything a supervised child needs set up between the two: its cgroup when it
// is given one, its own process group, PR_SET_PDEATHSIG(SIGKILL) unless it is to outlive the
// supervisor (either way, a parent already gone before the exec ends it), default signal mask and dispositions, stdin from /dev/null, stdout+stderr to one descriptor, every other
// descriptor closed, the given working directory and an environment built by the caller. Given an
// account, a supervisor running as root drops to it before the rest of the setup: supplementary
// groups, gid, uid, an empty capability bounding set and PR_SET_NO_NEW_PRIVS.
// The exec is confirmed before spawn() returns, so a missing binary is an error value here, not a
// mysterious exit 127 later; a failure for want of the supervisor's own resources (no process, no
// descriptor, no memory) is a Shortage, which the caller retries rather than blames on anyone.
#include <sys/types.h>

#include <string>
#include <variant>
#include <vector>

#include "moltbot/common/account.h"
#include "moltbot/common/environment.h"
#include "moltbot/runtime/shortage.h"

namespace moltbot::runtime {

// Set in the child between fork and exec, before it drops to its account (raising a hard limit
// and lowering oom_score_adj need root): limits.nofile as RLIMIT_NOFILE (soft and hard) and
// limits.oom_score_adj written to /proc/self/oom_score_adj.
struct ChildLimits {
  long nofile = 0;                  // 0: inherited
  std::string oom_score_adj;        // as written to the file, "-100"; empty: inherited
};

// What becomes of the child when the supervisor dies before it: killed with it (the kernel's
// PR_SET_PDEATHSIG), or left running for the next supervisor to adopt (supervisor.on_crash: adopt).
enum class OnParentDeath { die, live_on };

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is a path; without '/', it is looked up in env's PATH (resolve_program)
  Environment env;
  std::string working_dir;        // empty: inherit
  int output_fd = -1;             // becomes stdout and stderr; -1: /dev/null
  int error_fd = same_as_output;  // becomes stderr instead, when set; -1: /dev/null
  int cgroup_procs_fd = -1;       // a cgroup's `cgroup.procs` open for writing: the child joins it first
  OnParentDeath on_parent_death = OnParentDeath::die;
  const Account* run_as = nullptr;  // the account to switch to (needs root); nullptr: the supervisor's own
  int input_fd = -1;                // becomes stdin; -1: /dev/null
  const ChildLimits* limits = nullptr;  // nullptr: all inherited

  static constexpr int same_as_output = -2;
};

// The child's pid (also its process group id), a one-line error, or the shortage that kept it from
// being started.
using Spawned = std::variant<pid_t, std::string, Shortage>;
Spawned spawn(const SpawnRequest& request);

// The same over argv and environment where the caller keeps them: a respawn copies neither.
Spawned spawn(const std::vector<std::string>& argv, const Environment& env, const std::string& working_dir,
              int output_fd, int error_fd = SpawnRequest::same_as_output, int cgroup_procs_fd = -1,
              OnParentDeath on_parent_death = OnParentDeath::die, const Account* run_as = nullptr,
              int input_fd = -1, const ChildLimits* limits = nullptr);

}  // namespace moltbot::runtime
