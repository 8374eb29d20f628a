#include "moltbot/runtime/cgroup_members.h"

#include <signal.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "moltbot/runtime/leftover_record.h"

namespace moltbot::runtime {

CgroupMembers::CgroupMembers(std::unique_ptr<ProfileCgroup> cgroup, std::string state_dir)
    : cgroup_(std::move(cgroup)), state_dir_(std::move(state_dir)) {
  record_cgroup(state_dir_, cgroup_->path());
}

CgroupMembers::~CgroupMembers() {
  const auto path = cgroup_->path();
  cgroup_.reset();  // removes it when empty
  std::error_code error;
  if (!std::filesystem::exists(path, error)) forget_cgroup(state_dir_);
}

void CgroupMembers::started(pid_t) { record_cgroup(state_dir_, cgroup_->path()); }

std::variant<int, std::string, Shortage> CgroupMembers::open_join_fd() {
  const int fd = cgroup_->open_procs();
  if (fd >= 0) return fd;
  const int error = errno;
  if (is_shortage(error)) return shortage_of("cannot open " + cgroup_->path().string() + "/cgroup.procs", error);
  return fmt::format("cannot open {}/cgroup.procs: {}", cgroup_->path().string(), std::strerror(error));
}

std::vector<pid_t> CgroupMembers::family(pid_t leader) {
  auto members = cgroup_->members();
  std::vector<pid_t> family;
  if (leader != 0) family.push_back(leader);
  for (pid_t pid : members)
    if (pid != leader) family.push_back(pid);
  return family;
}

ResourceUsage CgroupMembers::usage(pid_t leader) {
  auto usage = usage_of_processes(family(leader));
  take_cgroup_figures(cgroup_->path(), usage);
  return usage;
}

void CgroupMembers::signal_all(int signal, const RunningLeader* leader) {
  // The leader through its own pidfd as well: it is a member, unless it moved itself out.
  if (leader) leader->signal(signal);
  if (signal == SIGKILL) return cgroup_->kill();
  cgroup_->signal_members(signal, leader ? leader->pid : 0);
}

}  // namespace moltbot::runtime
