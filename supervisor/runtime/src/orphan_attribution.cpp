#include "moltbot/runtime/orphan_attribution.h"

#include "moltbot/runtime/process_marker.h"

namespace moltbot::runtime {

OrphanAttribution::OrphanAttribution(const Reaper& reaper, std::string instance)
    : reaper_(reaper), instance_(std::move(instance)) {}

std::vector<ProcessId> OrphanAttribution::adopted(const std::string& profile, pid_t group) {
  std::vector<ProcessId> found;
  for (pid_t pid : own_children()) {
    if (reaper_.watching(pid)) continue;
    auto known = known_.find(pid);
    if (known == known_.end()) {
      auto stat = read_proc_stat(pid);
      auto marker = read_marker(pid, instance_);
      if (!stat || !marker.readable) continue;  // gone, or in an exec: judged at the next look
      known = known_.emplace(pid, Adoptee{{pid, stat->start_time}, stat->pgid, std::move(marker.profile)}).first;
    }
    const auto& adoptee = known->second;
    if (adoptee.profile == profile || (group != 0 && adoptee.group == group)) found.push_back(adoptee.id);
  }
  return found;
}

}  // namespace moltbot::runtime
