#include "moltbot/runtime/process_tracking.h"

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "moltbot/runtime/cgroup_members.h"
#include "moltbot/runtime/leftover_record.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/proc_members.h"
#include "moltbot/runtime/process_marker.h"

namespace moltbot::runtime {
namespace fs = std::filesystem;

ProcessTracking::ProcessTracking(boost::asio::io_context& io, const Reaper& reaper, const Environment& supervisor_env,
                                 std::string instance)
    : instance_(std::move(instance)),
      mount_(find_cgroup2_mount()),
      limits_(host_limit_support(supervisor_env)),
      orphans_(reaper, instance_) {
  std::string no_cgroup;
  if (auto events = CgroupEvents::open(io); auto* error = std::get_if<std::string>(&events))
    no_cgroup = "cannot watch cgroups: " + *error;
  else
    events_ = std::move(std::get<std::unique_ptr<CgroupEvents>>(events));
  if (events_) {
    auto placed = place_profile_cgroups(supervisor_env, instance_);
    if (auto* reason = std::get_if<std::string>(&placed))
      no_cgroup = std::move(*reason);
    else
      parent_ = std::move(std::get<CgroupParent>(placed));
  }
  limits_.controllers.clear();
  if (parent_) limits_.controllers.insert(parent_->controllers.begin(), parent_->controllers.end());
  if (!parent_)
    limits_.cgroup_problem = "the profiles have no cgroups (" + no_cgroup + ")";
  else if (limits_.controllers.size() < std::size(limit_controllers))
    limits_.cgroup_problem = fmt::format("the profiles' cgroups below {} got {} of the memory, cpu and pids controllers "
                                         "(the others are bound to a cgroup v1 hierarchy, or not delegated)",
                                         parent_->dir.string(),
                                         parent_->controllers.empty() ? std::string("none")
                                                                      : fmt::format("only {}", fmt::join(parent_->controllers, ", ")));
  description_ = parent_ ? fmt::format("a cgroup v2 per profile below {}", parent_->description)
                         : fmt::format("no cgroups ({}): descendants found through /proc, adopted orphans "
                                       "through their {} marker",
                                       no_cgroup, marker_profile_variable);
}

ProcessTracking::~ProcessTracking() {
  for (const auto& [cgroup, watch] : pending_removals_) events_->unwatch(watch);
  if (parent_ && parent_->made) ::rmdir(parent_->dir.c_str());
}

std::unique_ptr<ProfileMembers> ProcessTracking::members_for(const config::Profile& profile,
                                                            std::optional<std::string>& problem, bool running) {
  std::unique_ptr<ProfileMembers> members;
  std::vector<std::string> not_written;
  if (parent_) {
    // A leftover of the same name (a predecessor in the same delegated cgroup) is taken over, not removed.
    cancel_removal(parent_->dir / ("profile-" + profile.name));
    auto cgroup = ProfileCgroup::create(*parent_, profile.name, *events_, running);
    if (auto* made = std::get_if<std::unique_ptr<ProfileCgroup>>(&cgroup)) {
      if (!limits_.controllers.empty()) not_written = (*made)->apply_limits(profile.limits);
      members = std::make_unique<CgroupMembers>(std::move(*made), profile.state_dir);
    } else {
      problem = std::get<std::string>(cgroup);
    }
  }
  if (!members) members = std::make_unique<ProcMembers>(profile.name, profile.state_dir, orphans_);
  auto support = limits_;
  if (problem) {
    support.controllers.clear();
    support.cgroup_problem = *problem;
  }
  members->child_limits = child_limits(profile.limits, support);
  for (const auto& limit : unenforceable_limits(profile, support)) members->unenforced_limits.push_back(limit.line());
  // Only those the manifest sets: "max" for an unset one that did not take is no news.
  const bool any_cgroup_limit = profile.limits.memory || profile.limits.cpus || profile.limits.pids;
  if (any_cgroup_limit)
    for (auto& line : not_written) members->unenforced_limits.push_back("limits: " + line);
  return members;
}

RecordedLeftovers ProcessTracking::end_leftovers(const config::Profile& profile) {
  std::vector<std::string> in_cgroup;
  if (mount_)
    if (auto cgroup = take_recorded_cgroup(profile.state_dir, profile.name, *mount_)) {
      for (pid_t pid : cgroup_members(*cgroup)) in_cgroup.push_back(describe_process(pid));
      kill_cgroup(*mount_, *cgroup);
      remove_when_empty(*cgroup);
    }
  auto found = end_recorded_leftovers(profile.state_dir, profile.name);
  found.ended.insert(found.ended.begin(), in_cgroup.begin(), in_cgroup.end());
  return found;
}

void ProcessTracking::remove_when_empty(const fs::path& cgroup) {
  if (events_ && cgroup_populated(cgroup)) {
    auto watch = events_->watch(cgroup, [this, cgroup] {
      if (!cgroup_populated(cgroup)) remove_now(cgroup);
    });
    if (auto* id = std::get_if<int>(&watch)) {
      pending_removals_[cgroup] = *id;
      // The last member may have ended between the check and the watch, with no change left to report.
      if (cgroup_populated(cgroup)) return;
    }
  }
  remove_now(cgroup);
}

void ProcessTracking::cancel_removal(const fs::path& cgroup) {
  auto pending = pending_removals_.find(cgroup);
  if (pending == pending_removals_.end()) return;
  events_->unwatch(pending->second);  // before the cgroup may go (cgroup_events.h)
  pending_removals_.erase(pending);
}

void ProcessTracking::remove_now(const fs::path& cgroup) {
  cancel_removal(cgroup);
  // Fails while populated (a watch that could not be had): the cgroup stays, empty of ours.
  if (::rmdir(cgroup.c_str()) != 0) return;
  // The parent a supervisor made for itself at the root of the hierarchy, once nothing is left in it.
  const auto instance_dir = cgroup.parent_path();
  if (instance_dir.parent_path().filename() == "moltbot-supervisord") ::rmdir(instance_dir.c_str());
}

}  // namespace moltbot::runtime
