#pragma once
// A profile's processes as its cgroup holds them (profile_cgroup.h): every gateway is spawned into
// it, so nothing it starts can leave it; a stop signals every member, SIGKILL is `cgroup.kill`,
// and `cgroup.events` says when the last one is gone.
#include <memory>
#include <string>

#include "moltbot/runtime/profile_cgroup.h"
#include "moltbot/runtime/profile_members.h"

namespace moltbot::runtime {

class CgroupMembers final : public ProfileMembers {
 public:
  // Records the cgroup in the state dir (leftover_record.h) until it is removed.
  CgroupMembers(std::unique_ptr<ProfileCgroup> cgroup, std::string state_dir);
  ~CgroupMembers() override;

  std::variant<int, std::string, Shortage> open_join_fd() override;
  // Records the cgroup again if the record is gone: the lock's first holder ends a predecessor's
  // leftovers and clears the record, and for a profile refused at the supervisor's start (an
  // untrusted folder, a lock held elsewhere) that comes after this was made.
  void started(pid_t) override;
  void leader_reaped() override {}
  std::vector<pid_t> family(pid_t leader) override;
  void refresh_record(pid_t) override {}  // the cgroup, recorded once, holds every process
  void signal_all(int signal, const RunningLeader* leader) override;
  // Memory, CPU and OOM kills as the cgroup counts them, where its controllers do.
  ResourceUsage usage(pid_t leader) override;
  bool has_leftovers() override { return cgroup_->populated(); }
  void on_change(std::function<void()> changed) override { cgroup_->on_change(std::move(changed)); }

 private:
  std::unique_ptr<ProfileCgroup> cgroup_;
  std::string state_dir_;
};

}  // namespace moltbot::runtime
