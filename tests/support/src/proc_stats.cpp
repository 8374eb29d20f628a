#include "moltbot/test/proc_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace moltbot::test {
namespace {

std::string proc_file(pid_t pid, const char* name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + name);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

long status_kib(pid_t pid, std::string_view key) {
  std::istringstream lines(proc_file(pid, "status"));
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':')
      return std::stol(line.substr(key.size() + 1));
  return -1;
}

long rss_kib(pid_t pid) { return status_kib(pid, "VmRSS"); }

double cpu_time_ms(pid_t pid) {
  const auto text = proc_file(pid, "stat");
  std::istringstream rest(text.substr(text.rfind(')') + 2));  // the name may hold spaces and ')'
  std::string field;
  for (int index = 3; index <= 13; ++index) rest >> field;  // state .. cmajflt
  long utime = 0, stime = 0;
  rest >> utime >> stime;
  return 1000.0 * static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::size_t open_descriptors(pid_t pid) {
  auto entries = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd");
  return static_cast<std::size_t>(std::distance(begin(entries), end(entries)));
}

bool ignores_signal(pid_t pid, int signal) {
  std::istringstream lines(proc_file(pid, "status"));
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("SigIgn:")) return (std::stoull(line.substr(7), nullptr, 16) >> (signal - 1)) & 1;
  return false;
}

}  // namespace moltbot::test
