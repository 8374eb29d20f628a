#pragma once
// Read-only views of /proc: who a process is, who its descendants are. Every function tolerates
// processes vanishing while it reads (they simply drop out of the answer).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace moltbot::runtime {

struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgid = 0;
  char state = '?';              // 'R', 'S', 'Z', 'T', ...
  std::uint64_t start_time = 0;  // clock ticks since boot; with pid, identifies a process uniquely
  std::string comm;
  // Clock ticks of CPU: its own (user and system) and that of its children it waited for.
  std::uint64_t cpu_ticks = 0;
  std::uint64_t rss_pages = 0;  // resident set
};

std::optional<ProcStat> read_proc_stat(pid_t pid);

// The whole text of a /proc or /sys file (their sizes say nothing); nullopt when unreadable.
std::optional<std::string> read_pseudo_file(const std::filesystem::path& path);

// The pid of every process in /proc at the time of reading.
std::vector<pid_t> all_pids();
// The same, with why /proc could not be read (none then).
std::vector<pid_t> all_pids(std::error_code& error);

// The real uid of `pid` (the "Uid:" line of /proc/PID/status); nullopt when it is gone.
std::optional<uid_t> process_uid(pid_t pid);

// "pid 1234 (nginx)", or "pid 1234" when the name is not readable.
std::string describe_process(pid_t pid);

// A process identity that survives pid reuse: (pid, start time).
struct ProcessId {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
  bool operator==(const ProcessId&) const = default;
};

// How long ago the process started (CLOCK_BOOTTIME against its start time), to the clock tick.
std::chrono::milliseconds process_age(const ProcessId& process);

// Still the same process and not a zombie.
bool is_alive(const ProcessId& process);

// Every live descendant of `root` (not `root` itself), through /proc/PID/task/TID/children,
// falling back to a full /proc scan on kernels without that file.
std::vector<ProcessId> descendants_of(pid_t root);

// Direct children of this process (the supervisor), e.g. to find subreaper adoptees.
std::vector<pid_t> own_children();

// The direct children of this process in process group `pgid`: what is left of a group whose
// leader this process has just reaped (its members were re-parented to the subreaper). Taken at
// the reap, the group's id cannot name another group yet.
std::vector<ProcessId> own_children_in_group(pid_t pgid);

}  // namespace moltbot::runtime
