#include "moltbot/runtime/leftover_record.h"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace moltbot::runtime {

namespace {

std::filesystem::path record_path(const std::string& state_dir) {
  return std::filesystem::path(state_dir) / leftover_record_name;
}

}  // namespace

void record_descendants(const std::string& state_dir, const std::vector<ProcessId>& descendants) {
  const auto path = record_path(state_dir);
  auto temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    for (const auto& process : descendants) out << process.pid << ' ' << process.start_time << '\n';
    if (!out.flush()) return;  // a state dir that cannot be written: nothing to do about it here
  }
  std::error_code ignored;
  std::filesystem::rename(temp, path, ignored);
}

std::vector<std::string> end_recorded_leftovers(const std::string& state_dir) {
  std::vector<std::string> ended;
  std::ifstream in(record_path(state_dir));
  for (ProcessId process; in >> process.pid >> process.start_time;) {
    if (process.pid <= 1 || !is_alive(process)) continue;
    ended.push_back(describe_process(process.pid));
    ::kill(process.pid, SIGKILL);
  }
  std::error_code ignored;
  std::filesystem::remove(record_path(state_dir), ignored);
  return ended;
}

}  // namespace moltbot::runtime
