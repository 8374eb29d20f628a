#include "moltbot/runtime/leftover_record.h"

#include <signal.h>

#include <sstream>

#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/process_marker.h"
#include "moltbot/runtime/state_record.h"

namespace moltbot::runtime {
namespace fs = std::filesystem;

void record_descendants(const std::string& state_dir, const std::string& instance,
                        const std::vector<ProcessId>& descendants) {
  std::ostringstream text;
  text << "instance " << instance << '\n';
  for (const auto& process : descendants) text << process.pid << ' ' << process.start_time << '\n';
  // A state dir that cannot be written: nothing to do about it here.
  write_state_record(state_dir, leftover_record_name, text.str());
}

RecordedLeftovers end_recorded_leftovers(const std::string& state_dir, const std::string& profile) {
  RecordedLeftovers found;
  std::istringstream in(read_state_record(state_dir, leftover_record_name).value_or(""));
  std::string keyword, instance;
  in >> keyword >> instance;
  if (keyword != "instance" || !is_instance_id(instance)) instance.clear();  // no process can be proven ours
  for (ProcessId process; in >> process.pid >> process.start_time;) {
    if (process.pid <= 1) continue;
    auto handle = Pidfd::of(process);
    if (!handle) continue;  // gone, or its pid now names another process
    const auto description = describe_process(process.pid);
    // The marker was read from whatever had the pid then: still the recorded process?
    const bool ours = !instance.empty() && read_marker(process.pid, instance).profile == profile && is_alive(process);
    if (!ours)
      found.left_alone.push_back(description);
    else if (handle->signal(SIGKILL))
      found.ended.push_back(description);
  }
  remove_state_record(state_dir, leftover_record_name);
  return found;
}

void record_cgroup(const std::string& state_dir, const fs::path& cgroup) {
  const auto text = cgroup.string() + "\n";
  if (read_state_record(state_dir, cgroup_record_name) != text) write_state_record(state_dir, cgroup_record_name, text);
}

void forget_cgroup(const std::string& state_dir) { remove_state_record(state_dir, cgroup_record_name); }

std::optional<fs::path> take_recorded_cgroup(const std::string& state_dir, const std::string& profile,
                                             const CgroupMount& mount) {
  std::istringstream in(read_state_record(state_dir, cgroup_record_name).value_or(""));
  std::string line;
  std::getline(in, line);
  forget_cgroup(state_dir);
  const fs::path cgroup = fs::path(line).lexically_normal();
  std::error_code error;
  if (line.empty() || !mount.contains(cgroup) || cgroup.filename() != "profile-" + profile ||
      !fs::exists(cgroup / "cgroup.procs", error))
    return std::nullopt;
  return cgroup;
}

}  // namespace moltbot::runtime
