#pragma once
// How the supervisor keeps track of each profile's processes, chosen once per supervisor
// (docs/supervisor.md, "Process tracking"): a cgroup v2 per profile where a writable hierarchy is
// the supervisor's to manage (cgroup_placement.h), otherwise /proc with adopted orphans attributed
// by the marker in their environment (proc_members.h). Also ends what a killed predecessor left
// behind for a profile (leftover_record.h).
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/config/manifest.h"
#include "moltbot/runtime/cgroup_events.h"
#include "moltbot/runtime/cgroup_placement.h"
#include "moltbot/runtime/leftover_record.h"
#include "moltbot/runtime/limit_support.h"
#include "moltbot/runtime/orphan_attribution.h"
#include "moltbot/runtime/process_marker.h"
#include "moltbot/runtime/profile_members.h"
#include "moltbot/runtime/reaper.h"

namespace moltbot::runtime {

class ProcessTracking {
 public:
  // `instance`: the id of the supervisor process, new unless a re-exec carries it across (the
  // cgroups below it and the marker of running gateways keep it).
  ProcessTracking(boost::asio::io_context& io, const Reaper& reaper, const Environment& supervisor_env,
                  std::string instance = new_instance_id());
  ProcessTracking(const ProcessTracking&) = delete;
  ProcessTracking& operator=(const ProcessTracking&) = delete;
  // After every ProfileMembers it made: removes the cgroup parent it made, when empty.
  ~ProcessTracking();

  // This supervisor's id, as in the marker of its children's environment (process_marker.h).
  const std::string& instance() const { return instance_; }
  // For the supervisor's log: where the profiles' processes are kept, or why not in cgroups.
  const std::string& description() const { return description_; }

  // Which limits profiles can have here: taken before the supervisor placed itself, with the
  // controllers its profile cgroups really got.
  const LimitSupport& limit_support() const { return limits_; }

  // What tracks a profile's processes from now on. When its cgroup cannot be made, /proc does,
  // and `problem` says why. The profile's limits are applied to its cgroup (those that cannot be,
  // ProfileMembers::unenforced_limits), and ProfileMembers::child_limits set.
  // `running`: its gateway runs already (a re-exec carried it across) and keeps its cgroup.
  std::unique_ptr<ProfileMembers> members_for(const config::Profile& profile, std::optional<std::string>& problem,
                                              bool running = false);

  // Ends what a killed predecessor left running for the profile: the processes of its recorded
  // cgroup (which is removed once empty) and its recorded descendants proven its own
  // (leftover_record.h).
  RecordedLeftovers end_leftovers(const config::Profile& profile);

  // An adopted orphan was reaped.
  void orphan_reaped(pid_t pid) { orphans_.forget(pid); }

 private:
  // Removes a leftover cgroup now, or once `cgroup.events` says it is empty.
  void remove_when_empty(const std::filesystem::path& cgroup);
  void cancel_removal(const std::filesystem::path& cgroup);
  void remove_now(const std::filesystem::path& cgroup);

  std::string instance_;
  std::optional<CgroupMount> mount_;    // the hierarchy, whether profiles get cgroups or not
  std::optional<CgroupParent> parent_;  // set: profiles get cgroups below it
  std::unique_ptr<CgroupEvents> events_;
  std::string description_;
  LimitSupport limits_;
  OrphanAttribution orphans_;
  std::map<std::filesystem::path, int> pending_removals_;  // leftover cgroups -> their watches
};

}  // namespace moltbot::runtime
