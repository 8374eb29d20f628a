#pragma once
// A profile's processes as /proc shows them, where it has no cgroup: the gateway's process group
// while the gateway runs, its descendants (whatever their group or session) and the orphans the
// supervisor adopted that carry the profile's marker or are in the gateway's group
// (orphan_attribution.h), with their descendants. Each is tracked by pid and start time from the
// moment it is seen, so it is still found once re-parented, and recorded in the state dir for the
// next supervisor (leftover_record.h). Once the gateway is reaped its group's id is never used
// again: it may name an unrelated group after that.
#include <string>
#include <vector>

#include "moltbot/runtime/orphan_attribution.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/profile_members.h"

namespace moltbot::runtime {

class ProcMembers final : public ProfileMembers {
 public:
  ProcMembers(std::string profile, std::string state_dir, OrphanAttribution& orphans);

  std::variant<int, std::string, Shortage> open_join_fd() override { return -1; }
  void started(pid_t leader) override;
  // What is left of the gateway's group is tracked now; its id is not used again.
  void leader_reaped() override;
  std::vector<pid_t> family(pid_t leader) override { return refresh(leader); }
  void refresh_record(pid_t leader) override { refresh(leader); }
  void signal_all(int signal, const RunningLeader* leader) override;
  bool has_leftovers() override;
  void on_change(std::function<void()>) override {}  // every adoptee's exit is reaped: that is the news

 private:
  // Adds what is new among the descendants of `leader` (0: none runs) and the marked adoptees
  // and theirs; returns the leader and all of them.
  std::vector<pid_t> refresh(pid_t leader);
  void forget_the_dead();

  std::string profile_;
  std::string state_dir_;
  OrphanAttribution& orphans_;
  pid_t pgid_ = 0;  // the running gateway's process group; 0 once it is reaped
  std::vector<ProcessId> tracked_;
};

}  // namespace moltbot::runtime
