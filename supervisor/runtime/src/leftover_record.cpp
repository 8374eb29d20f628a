#include "moltbot/runtime/leftover_record.h"

#include <signal.h>

#include <sstream>

#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/state_record.h"

namespace moltbot::runtime {
namespace fs = std::filesystem;

void record_descendants(const std::string& state_dir, const std::vector<ProcessId>& descendants) {
  std::ostringstream text;
  for (const auto& process : descendants) text << process.pid << ' ' << process.start_time << '\n';
  // A state dir that cannot be written: nothing to do about it here.
  write_state_record(state_dir, leftover_record_name, text.str());
}

std::vector<std::string> end_recorded_leftovers(const std::string& state_dir) {
  std::vector<std::string> ended;
  std::istringstream in(read_state_record(state_dir, leftover_record_name).value_or(""));
  for (ProcessId process; in >> process.pid >> process.start_time;) {
    if (process.pid <= 1) continue;
    auto handle = Pidfd::of(process);
    if (!handle) continue;  // gone, or its pid now names another process
    const auto description = describe_process(process.pid);
    if (handle->signal(SIGKILL)) ended.push_back(description);
  }
  remove_state_record(state_dir, leftover_record_name);
  return ended;
}

void record_cgroup(const std::string& state_dir, const fs::path& cgroup) {
  write_state_record(state_dir, cgroup_record_name, cgroup.string() + "\n");
}

void forget_cgroup(const std::string& state_dir) { remove_state_record(state_dir, cgroup_record_name); }

std::optional<fs::path> take_recorded_cgroup(const std::string& state_dir, const CgroupMount& mount) {
  std::istringstream in(read_state_record(state_dir, cgroup_record_name).value_or(""));
  std::string line;
  std::getline(in, line);
  forget_cgroup(state_dir);
  const fs::path cgroup = fs::path(line).lexically_normal();
  std::error_code error;
  if (line.empty() || !mount.contains(cgroup) || !cgroup.filename().string().starts_with("profile-") ||
      !fs::exists(cgroup / "cgroup.procs", error))
    return std::nullopt;
  return cgroup;
}

}  // namespace moltbot::runtime
