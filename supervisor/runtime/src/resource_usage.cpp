#include "moltbot/runtime/resource_usage.h"

#include <unistd.h>

#include <charconv>
#include <string>
#include <string_view>

#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {
namespace fs = std::filesystem;

namespace {

int open_descriptors(pid_t pid) {
  std::error_code error;
  int count = 0;
  for (fs::directory_iterator entry(fs::path("/proc") / std::to_string(pid) / "fd", error), end; !error && entry != end;
       entry.increment(error))
    ++count;
  return count;
}

std::optional<std::uint64_t> parse_count(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> read_count(const fs::path& file) {
  auto text = read_pseudo_file(file);
  return text ? parse_count(*text) : std::nullopt;
}

// The value of `key` in a flat-keyed file (cpu.stat, memory.events: "key value" lines).
std::optional<std::uint64_t> read_keyed(const fs::path& file, std::string_view key) {
  auto text = read_pseudo_file(file);
  if (!text) return std::nullopt;
  std::string_view rest(*text);
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    const auto line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.size() > key.size() && line.starts_with(key) && line[key.size()] == ' ')
      return parse_count(line.substr(key.size() + 1));
  }
  return std::nullopt;
}

}  // namespace

ResourceUsage usage_of_processes(const std::vector<pid_t>& pids) {
  static const auto ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const auto page_size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  ResourceUsage usage;
  for (pid_t pid : pids) {
    auto stat = read_proc_stat(pid);
    if (!stat || stat->state == 'Z') continue;
    ++usage.processes;
    usage.rss_bytes += stat->rss_pages * page_size;
    usage.cpu_seconds += static_cast<double>(stat->cpu_ticks) / ticks_per_second;
    usage.fds += open_descriptors(pid);
  }
  return usage;
}

void take_cgroup_figures(const fs::path& dir, ResourceUsage& usage) {
  if (auto memory = read_count(dir / "memory.current")) usage.rss_bytes = *memory;
  if (auto usec = read_keyed(dir / "cpu.stat", "usage_usec")) usage.cpu_seconds = static_cast<double>(*usec) / 1e6;
  usage.oom_kills = read_keyed(dir / "memory.events", "oom_kill");
}

}  // namespace moltbot::runtime
