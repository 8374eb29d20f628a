#pragma once
// What a supervisor killed with -9 leaves behind. Its gateways die with it (PR_SET_PDEATHSIG),
// but their own children, a helper in another session above all, are re-parented to init and
// would run forever. So the descendants a profile's child is seen to have are recorded in its
// state dir (`supervisor.children`), and the next supervisor to take the profile's lock, which
// proves the recorder dead, ends those of them that still run.
#include <string>
#include <vector>

#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

inline constexpr const char* leftover_record_name = "supervisor.children";

// Replaces the record (atomically: a kill at any moment leaves the old or the new one).
void record_descendants(const std::string& state_dir, const std::vector<ProcessId>& descendants);

// SIGKILLs every recorded process that still runs (same pid and start time) and clears the
// record; returns them described ("pid 1234 (moltbot-gateway)"). Only for the lock's new holder.
std::vector<std::string> end_recorded_leftovers(const std::string& state_dir);

}  // namespace moltbot::runtime
