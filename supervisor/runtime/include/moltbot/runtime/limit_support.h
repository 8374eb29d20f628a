#pragma once
// Which of a profile's limits (config::Limits) this host lets the supervisor enforce, found
// without changing anything (for `check`, `doctor` and the profile's log): memory, cpus and pids
// need a cgroup per profile with those controllers (cgroup_placement.h); nofile and
// oom_score_adj are set in the gateway's process, and raising the one or lowering the other past
// the supervisor's own needs CAP_SYS_RESOURCE (root has it, unless a container took it away).
#include <set>
#include <string>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/config/manifest.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

struct LimitSupport {
  bool privileged = false;  // CAP_SYS_RESOURCE: may raise hard limits and lower oom_score_adj
  int own_oom_score_adj = 0;
  long own_nofile_hard = 0;
  std::set<std::string> controllers;  // of the cgroups profiles would get: "memory", "cpu", "pids"
  std::string cgroup_problem;         // why there are none, or not all three
};

// As a supervisor started now in this process's place would find it.
LimitSupport host_limit_support(const Environment& env);

struct UnenforcedLimit {
  std::string field;   // "limits.memory"
  std::string reason;  // "not enforced on this host: ..."

  std::string line() const { return field + ": " + reason; }
};

// Each limit of `profile` this host cannot enforce, with why.
std::vector<UnenforcedLimit> unenforceable_limits(const config::Profile& profile, const LimitSupport& support);

// What the gateway's process is given (spawner.h): the limits this host can set, the others left
// out (unenforceable_limits says which).
ChildLimits child_limits(const config::Limits& limits, const LimitSupport& support);

}  // namespace moltbot::runtime
