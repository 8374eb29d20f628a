#pragma once
// One profile's cgroup v2 (`PARENT/profile-NAME`, cgroup_placement.h): every process of the
// profile whatever its session, group or parent, since a child cannot leave the cgroup it was
// born in by forking, double-forking or setsid. Made empty; removed when dropped empty.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "moltbot/runtime/cgroup_events.h"
#include "moltbot/config/manifest.h"
#include "moltbot/runtime/cgroup_placement.h"

namespace moltbot::runtime {

class ProfileCgroup {
 public:
  // Makes PARENT/profile-NAME. One that exists already (left by a predecessor in the same
  // delegated cgroup) is taken over and whatever runs in it is killed, unless `keep_members`:
  // the same supervisor after a re-exec, whose gateways run in it.
  static std::variant<std::unique_ptr<ProfileCgroup>, std::string> create(const CgroupParent& parent,
                                                                          const std::string& profile,
                                                                          CgroupEvents& events,
                                                                          bool keep_members = false);
  ProfileCgroup(const ProfileCgroup&) = delete;
  ProfileCgroup& operator=(const ProfileCgroup&) = delete;
  // Removes the cgroup when it is empty; a populated one stays (its record in the state dir
  // lets the next supervisor end it).
  ~ProfileCgroup();

  const std::filesystem::path& path() const { return path_; }
  // `cgroup.procs` opened for writing (close-on-exec), or -1 with errno set: a child writes "0"
  // to it between fork and exec to move itself in (spawner.h), before anything of it runs. A
  // cgroup removed behind the supervisor's back (it can only be while empty) is made again.
  int open_procs();

  // The live processes in the cgroup and below it.
  std::vector<pid_t> members() const;
  bool populated() const;
  // `signal` to every member but `except`, each through a pidfd opened while it is a member: a
  // pid that passed to another process after the listing is never signalled.
  void signal_members(int signal, pid_t except) const;
  // SIGKILL to every member at once (`cgroup.kill`), forks in flight included.
  void kill() const;
  // Writes memory.max, cpu.max and pids.max from `limits` (unset: "max") where the controller is
  // enabled; one line per value that could not be written, with why.
  std::vector<std::string> apply_limits(const config::Limits& limits) const;
  // `changed` runs when `cgroup.events` changes (the cgroup fills or empties).
  void on_change(std::function<void()> changed) { on_change_ = std::move(changed); }

 private:
  ProfileCgroup(const CgroupMount& mount, std::filesystem::path path, CgroupEvents& events);
  std::optional<std::string> watch();

  std::filesystem::path path_;
  std::string cgroup_;  // as /proc/PID/cgroup writes it
  CgroupEvents& events_;
  int watch_ = -1;
  std::function<void()> on_change_;
};

// The live processes of the cgroup at `dir` and of the cgroups below it.
std::vector<pid_t> cgroup_members(const std::filesystem::path& dir);
// Whether any process lives in the cgroup at `dir` or below it (`cgroup.events`).
bool cgroup_populated(const std::filesystem::path& dir);
// SIGKILL to every process of the cgroup at `dir` and below it: `cgroup.kill`, or (before Linux
// 5.14) each member through a pidfd.
void kill_cgroup(const CgroupMount& mount, const std::filesystem::path& dir);

}  // namespace moltbot::runtime
