#pragma once
// Which profile each process the supervisor adopted belongs to, where no cgroup says it. A helper
// that double-forks out of its gateway's tree (`setsid -f`) is re-parented to the supervisor, the
// child subreaper, at once: it is no descendant of the gateway, nor in its process group. The
// marker the gateway passed on in the environment (process_marker.h) names its profile. An orphan
// still in the gateway's process group is the profile's too, marker or not.
#include <sys/types.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/reaper.h"

namespace moltbot::runtime {

class OrphanAttribution {
 public:
  // `instance`: the supervisor's own id, as in the marker of its children.
  OrphanAttribution(const Reaper& reaper, std::string instance);

  // The supervisor's adopted children (those no exit handler waits for) marked with `profile`,
  // or in process group `group` (0: none). Being unreaped children of this process, their pids
  // cannot have passed to another process.
  std::vector<ProcessId> adopted(const std::string& profile, pid_t group);

  const std::string& instance() const { return instance_; }

  // An adoptee was reaped: its pid may now be given to another process.
  void forget(pid_t pid) { known_.erase(pid); }

 private:
  struct Adoptee {
    ProcessId id;
    pid_t group = 0;                     // as first seen
    std::optional<std::string> profile;  // nullopt: no marker of this supervisor
  };

  const Reaper& reaper_;
  const std::string instance_;
  // Every adoptee is reaped by this process's Reaper, which reports it to forget(): until then
  // its pid cannot be reused, so an entry stays true without reading /proc again.
  std::unordered_map<pid_t, Adoptee> known_;
};

}  // namespace moltbot::runtime
