#include "moltbot/runtime/proc_members.h"

#include <signal.h>

#include <algorithm>

#include "moltbot/runtime/leftover_record.h"

namespace moltbot::runtime {

namespace {

bool in_group(pid_t pid, pid_t group) {
  auto stat = read_proc_stat(pid);
  return stat && stat->pgid == group;
}

}  // namespace

ProcMembers::ProcMembers(std::string profile, std::string state_dir, OrphanAttribution& orphans)
    : profile_(std::move(profile)), state_dir_(std::move(state_dir)), orphans_(orphans) {}

void ProcMembers::started(pid_t leader) {
  pgid_ = leader;
  tracked_.clear();
}

void ProcMembers::leader_reaped() {
  // Still in the reap's handler: the group's id cannot have passed to another group of the
  // supervisor's children yet (only the event loop starts those).
  refresh(0);
  pgid_ = 0;
}

std::vector<pid_t> ProcMembers::refresh(pid_t leader) {
  std::vector<pid_t> family;
  if (leader != 0) family.push_back(leader);
  bool new_ones = false;
  auto add = [&](const ProcessId& process) {
    family.push_back(process.pid);
    if (std::find(tracked_.begin(), tracked_.end(), process) != tracked_.end()) return;
    tracked_.push_back(process);
    new_ones = true;
  };
  if (leader != 0)
    for (const auto& descendant : descendants_of(leader)) add(descendant);
  for (const auto& adoptee : orphans_.adopted(profile_, pgid_)) {
    add(adoptee);
    for (const auto& descendant : descendants_of(adoptee.pid)) add(descendant);
  }
  if (new_ones) record_descendants(state_dir_, orphans_.instance(), tracked_);
  return family;
}

void ProcMembers::forget_the_dead() {
  std::erase_if(tracked_, [](const ProcessId& process) { return !is_alive(process); });
}

void ProcMembers::signal_all(int signal, const RunningLeader* leader) {
  refresh(leader ? leader->pid : 0);
  // The group's id is the leader's pid, which no other process can have before the leader is
  // reaped: the kernel delivers to exactly the group, atomically, forks in flight included.
  // Afterwards what is left of the group are adoptees, tracked since leader_reaped().
  if (leader) {
    if (leader->group_is_its_own()) ::kill(-pgid_, signal);
    if (!in_group(leader->pid, pgid_)) leader->signal(signal);  // it left its group
  }
  forget_the_dead();
  for (const auto& process : tracked_)
    if (!leader || !in_group(process.pid, pgid_)) signal_process(process, signal);  // once each
}

bool ProcMembers::has_leftovers() {
  refresh(0);
  forget_the_dead();
  return !tracked_.empty();
}

}  // namespace moltbot::runtime
