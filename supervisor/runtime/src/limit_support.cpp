#include "moltbot/runtime/limit_support.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <sstream>

#include "moltbot/runtime/cgroup_placement.h"
#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {
namespace fs = std::filesystem;

namespace {

// The controllers the cgroups of profiles would get, or why none (as place_profile_cgroups would
// choose, without making or moving anything).
void find_controllers(const Environment& env, LimitSupport& support) {
  if (lookup(env, cgroup_setting_variable).value_or("auto") == "off") {
    support.cgroup_problem = fmt::format("{}=off", cgroup_setting_variable);
    return;
  }
  auto mount = find_cgroup2_mount();
  auto own = own_cgroup();
  if (!mount || !own) {
    support.cgroup_problem = "no cgroup v2 hierarchy is mounted for the supervisor";
    return;
  }
  const fs::path dir = own_cgroup_dir(*mount, *own);
  if (*own != mount->root && !is_delegated(dir)) {
    support.cgroup_problem =
        fmt::format("the supervisor's cgroup {} is not delegated to it (systemd: Delegate=yes)", *own);
    return;
  }
  if (::access((dir / "cgroup.subtree_control").c_str(), W_OK) != 0) {
    support.cgroup_problem = fmt::format("{} is not writable", (dir / "cgroup.subtree_control").string());
    return;
  }
  auto offered = read_pseudo_file(dir / "cgroup.controllers").value_or("");
  std::istringstream available(offered);
  for (std::string name; available >> name;)
    for (const char* wanted : limit_controllers)
      if (name == wanted) support.controllers.insert(name);
  while (!offered.empty() && offered.back() == '\n') offered.pop_back();
  if (support.controllers.size() < std::size(limit_controllers))
    support.cgroup_problem = fmt::format(
        "the cgroup v2 hierarchy at {} offers only \"{}\" (memory, cpu or pids are "
        "bound to a cgroup v1 hierarchy, or not delegated)",
        mount->point.string(), offered);
}

// CAP_SYS_RESOURCE in the effective set (the CapEff mask of /proc/self/status): root without it
// (a container's) may neither lower oom_score_adj nor raise a hard limit.
bool may_override_limits() {
  constexpr int cap_sys_resource = 24;
  auto status = read_pseudo_file("/proc/self/status");
  if (!status) return false;
  const auto line = status->find("\nCapEff:");
  if (line == std::string::npos) return false;
  const auto mask = std::strtoull(status->c_str() + line + 8, nullptr, 16);
  return (mask >> cap_sys_resource) & 1;
}

}  // namespace

LimitSupport host_limit_support(const Environment& env) {
  LimitSupport support;
  support.privileged = may_override_limits();
  if (auto text = read_pseudo_file("/proc/self/oom_score_adj")) support.own_oom_score_adj = std::atoi(text->c_str());
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0)
    support.own_nofile_hard = files.rlim_max == RLIM_INFINITY ? -1 : static_cast<long>(files.rlim_max);
  find_controllers(env, support);
  return support;
}

std::vector<UnenforcedLimit> unenforceable_limits(const config::Profile& profile, const LimitSupport& support) {
  std::vector<UnenforcedLimit> found;
  const auto& limits = profile.limits;
  auto cgroup_limit = [&](bool set, const char* field, const char* controller) {
    if (set && !support.controllers.contains(controller))
      found.push_back({field, "not enforced on this host: " + support.cgroup_problem});
  };
  cgroup_limit(limits.memory.has_value(), "limits.memory", "memory");
  cgroup_limit(limits.cpus.has_value(), "limits.cpus", "cpu");
  cgroup_limit(limits.pids.has_value(), "limits.pids", "pids");
  if (limits.nofile && !support.privileged && support.own_nofile_hard >= 0 && *limits.nofile > support.own_nofile_hard)
    found.push_back({"limits.nofile", fmt::format("{} is above the supervisor's hard limit {}, which only a "
                                                  "supervisor with CAP_SYS_RESOURCE may raise: every start would fail",
                                                  *limits.nofile, support.own_nofile_hard)});
  if (limits.oom_score_adj && !support.privileged && *limits.oom_score_adj < support.own_oom_score_adj)
    found.push_back({"limits.oom_score_adj",
                     fmt::format("not enforced on this host: {} is below the supervisor's own {}, which only a "
                                 "supervisor with CAP_SYS_RESOURCE may lower{}",
                                 *limits.oom_score_adj, support.own_oom_score_adj,
                                 profile.role == Role::rescue
                                     ? " (the rescue profile is not protected from the OOM killer ahead of main)"
                                     : "")});
  return found;
}

ChildLimits child_limits(const config::Limits& limits, const LimitSupport& support) {
  ChildLimits child;
  if (limits.nofile) child.nofile = *limits.nofile;
  if (limits.oom_score_adj && (support.privileged || *limits.oom_score_adj >= support.own_oom_score_adj))
    child.oom_score_adj = std::to_string(*limits.oom_score_adj);
  return child;
}

}  // namespace moltbot::runtime
