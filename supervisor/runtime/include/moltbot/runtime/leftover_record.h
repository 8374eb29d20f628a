#pragma once
// What a supervisor killed with -9 leaves behind. Its gateways die with it (PR_SET_PDEATHSIG),
// but their own children, a helper in another session above all, are re-parented to init and
// would run forever. So each profile's state dir records where those are: the profile's cgroup
// (`supervisor.cgroup`) where it has one, otherwise the descendants its child is seen to have
// (`supervisor.children`). The next supervisor to take the profile's lock, which proves the
// recorder dead, ends them: those it can prove its predecessor's. Whoever can write the state dir
// can write a record, so a recorded pid is not proof enough: the cgroup must be a profile cgroup
// of the supervisor's hierarchy, and a recorded process must still carry the marker of the
// recording supervisor and of the profile in its environment (process_marker.h). Anything else
// is left alone, and said.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/runtime/cgroup_placement.h"
#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

inline constexpr const char* leftover_record_name = "supervisor.children";
inline constexpr const char* cgroup_record_name = "supervisor.cgroup";

// Replaces the record (atomically: a kill at any moment leaves the old or the new one).
// `instance`: the recording supervisor's id, as in its marker.
void record_descendants(const std::string& state_dir, const std::string& instance,
                        const std::vector<ProcessId>& descendants);

// Described as "pid 1234 (moltbot-gateway)".
struct RecordedLeftovers {
  std::vector<std::string> ended;
  std::vector<std::string> left_alone;  // alive, but not proven ours
};

// SIGKILLs every recorded process of `profile` that still runs (same pid and start time,
// signalled through a pidfd) and is proven ours, and clears the record. Only for the lock's new
// holder.
RecordedLeftovers end_recorded_leftovers(const std::string& state_dir, const std::string& profile);

// The profile's cgroup, recorded as its directory (written only when the record says otherwise);
// forget_cgroup once it is removed.
void record_cgroup(const std::string& state_dir, const std::filesystem::path& cgroup);
void forget_cgroup(const std::string& state_dir);

// The cgroup a predecessor recorded, if it still exists and is a cgroup of `profile` in `mount`
// (`profile-NAME`; a record naming anything else is ignored); the record is cleared. Only for the
// lock's new holder.
std::optional<std::filesystem::path> take_recorded_cgroup(const std::string& state_dir, const std::string& profile,
                                                          const CgroupMount& mount);

}  // namespace moltbot::runtime
