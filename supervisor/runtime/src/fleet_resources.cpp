#include "moltbot/runtime/fleet.h"

namespace moltbot::runtime {

void Fleet::measure(std::vector<ProfileStatus>& statuses) {
  for (auto& status : statuses)
    if (auto* member = find_member(status.name)) status.resources = member->process->resources(status.uptime);
}

const ProbeDurations* Fleet::probe_durations(const std::string& name) {
  auto* member = find_member(name);
  return member ? &member->process->probe_durations() : nullptr;
}

}  // namespace moltbot::runtime
