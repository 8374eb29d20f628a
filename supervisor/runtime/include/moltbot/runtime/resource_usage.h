#pragma once
// What one profile's processes use (docs/supervisor.md, "Resources"): measured from its cgroup's
// own counters where its cgroup has the controllers, otherwise summed over the processes /proc
// shows, on request only.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace moltbot::runtime {

struct ResourceUsage {
  std::uint64_t rss_bytes = 0;  // resident memory (the cgroup's memory.current where there is one)
  double cpu_seconds = 0;       // user and system CPU time of the processes and the children they reaped
  int processes = 0;
  int fds = 0;                             // open descriptors
  std::optional<std::uint64_t> oom_kills;  // memory.events oom_kill: only with the memory controller
};

// Summed over `pids` from /proc: a process that ends while it is read drops out.
ResourceUsage usage_of_processes(const std::vector<pid_t>& pids);

// The figures the cgroup at `dir` counts itself, taken into `usage` where its controllers give them:
// memory.current (memory), cpu.stat usage_usec (always: cgroup v2's core accounts CPU) and
// memory.events oom_kill. The cgroup also counts what its processes did before they ended. The
// processes stay those listed (pids.current counts threads).
void take_cgroup_figures(const std::filesystem::path& dir, ResourceUsage& usage);

}  // namespace moltbot::runtime
