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

std::optional<std::string> status_field(pid_t pid, std::string_view key) {
  std::istringstream lines(proc_file(pid, "status"));
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') continue;
    const auto first = line.find_first_not_of(" \t", key.size() + 1);
    return first == std::string::npos ? std::string() : line.substr(first);
  }
  return std::nullopt;
}

long status_kib(pid_t pid, std::string_view key) {
  const auto value = status_field(pid, key);
  return value ? std::stol(*value) : -1;
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

unsigned long long start_ticks(pid_t pid) {
  const auto text = proc_file(pid, "stat");
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  for (int index = 3; index <= 22 && rest >> field; ++index) {
  }
  return std::stoull(field);
}

std::size_t open_descriptors(pid_t pid) {
  auto entries = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd");
  return static_cast<std::size_t>(std::distance(begin(entries), end(entries)));
}

bool ignores_signal(pid_t pid, int signal) {
  const auto ignored = status_field(pid, "SigIgn");
  return ignored && (std::stoull(*ignored, nullptr, 16) >> (signal - 1)) & 1;
}

}  // namespace moltbot::test
