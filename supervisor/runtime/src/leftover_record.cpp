#include "moltbot/runtime/leftover_record.h"

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "moltbot/runtime/pidfd.h"

namespace moltbot::runtime {
namespace fs = std::filesystem;

namespace {

fs::path in_state_dir(const std::string& state_dir, const char* name) { return fs::path(state_dir) / name; }

// Atomically: a kill at any moment leaves the old text or the new one.
void replace_record(const fs::path& path, const std::string& text) {
  auto temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << text;
    if (!out.flush()) return;  // a state dir that cannot be written: nothing to do about it here
  }
  std::error_code ignored;
  fs::rename(temp, path, ignored);
}

}  // namespace

void record_descendants(const std::string& state_dir, const std::vector<ProcessId>& descendants) {
  std::ostringstream text;
  for (const auto& process : descendants) text << process.pid << ' ' << process.start_time << '\n';
  replace_record(in_state_dir(state_dir, leftover_record_name), text.str());
}

std::vector<std::string> end_recorded_leftovers(const std::string& state_dir) {
  std::vector<std::string> ended;
  const auto path = in_state_dir(state_dir, leftover_record_name);
  std::ifstream in(path);
  for (ProcessId process; in >> process.pid >> process.start_time;) {
    if (process.pid <= 1) continue;
    auto handle = Pidfd::of(process);
    if (!handle) continue;  // gone, or its pid now names another process
    const auto description = describe_process(process.pid);
    if (handle->signal(SIGKILL)) ended.push_back(description);
  }
  std::error_code ignored;
  fs::remove(path, ignored);
  return ended;
}

void record_cgroup(const std::string& state_dir, const fs::path& cgroup) {
  replace_record(in_state_dir(state_dir, cgroup_record_name), cgroup.string() + "\n");
}

void forget_cgroup(const std::string& state_dir) {
  std::error_code ignored;
  fs::remove(in_state_dir(state_dir, cgroup_record_name), ignored);
}

std::optional<fs::path> take_recorded_cgroup(const std::string& state_dir, const CgroupMount& mount) {
  const auto path = in_state_dir(state_dir, cgroup_record_name);
  std::ifstream in(path);
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
