#include "moltbot/runtime/proc_info.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace moltbot::runtime {
namespace fs = std::filesystem;

namespace {

std::optional<pid_t> parse_pid(std::string_view text) {
  pid_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

// Children listed by the kernel per thread; nullopt when the kernel lacks the file.
std::optional<std::vector<pid_t>> children_of(pid_t pid) {
  std::error_code ec;
  fs::directory_iterator tasks(fs::path("/proc") / std::to_string(pid) / "task", ec);
  if (ec) return std::vector<pid_t>{};  // the process is gone
  std::vector<pid_t> children;
  for (const auto& task : tasks) {
    auto text = read_pseudo_file(task.path() / "children");
    if (!text) {
      if (!fs::exists(task.path() / "children")) return std::nullopt;
      continue;
    }
    std::istringstream words(*text);
    pid_t child = 0;
    while (words >> child) children.push_back(child);
  }
  return children;
}

std::optional<ProcessId> identity(pid_t pid) {
  auto stat = read_proc_stat(pid);
  if (!stat || stat->state == 'Z') return std::nullopt;
  return ProcessId{pid, stat->start_time};
}

std::vector<ProcessId> descendants_by_scan(pid_t root) {
  std::multimap<pid_t, ProcStat> by_parent;
  for (pid_t pid : all_pids())
    if (auto stat = read_proc_stat(pid)) by_parent.emplace(stat->ppid, *stat);
  std::vector<ProcessId> found;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    pid_t parent = frontier.back();
    frontier.pop_back();
    auto [first, last] = by_parent.equal_range(parent);
    for (auto it = first; it != last; ++it) {
      if (it->second.state != 'Z') found.push_back({it->second.pid, it->second.start_time});
      frontier.push_back(it->second.pid);
    }
  }
  return found;
}

}  // namespace

std::optional<std::string> read_pseudo_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

std::vector<pid_t> all_pids() {
  std::error_code ignored;
  return all_pids(ignored);
}

std::vector<pid_t> all_pids(std::error_code& ec) {
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().native();
    if (auto pid = parse_pid(name)) pids.push_back(*pid);
  }
  return pids;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  auto text = read_pseudo_file(fs::path("/proc") / std::to_string(pid) / "stat");
  if (!text) return std::nullopt;
  // comm may contain spaces and parentheses: it runs from the first '(' to the last ')'.
  auto open = text->find('(');
  auto close = text->rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcStat stat;
  stat.pid = pid;
  stat.comm = text->substr(open + 1, close - open - 1);
  std::istringstream rest(text->substr(close + 1));
  // Fields after comm: state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9) minflt(10)
  // cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15) cutime(16) cstime(17) priority(18)
  // nice(19) num_threads(20) itrealvalue(21) starttime(22).
  // vsize(23) rss(24).
  std::string skip;
  rest >> stat.state >> stat.ppid >> stat.pgid;
  for (int field = 6; field <= 13; ++field) rest >> skip;
  for (int field = 14; field <= 17; ++field) {
    std::uint64_t ticks = 0;
    rest >> ticks;
    stat.cpu_ticks += ticks;
  }
  for (int field = 18; field <= 21; ++field) rest >> skip;
  rest >> stat.start_time >> skip >> stat.rss_pages;
  if (!rest) return std::nullopt;
  return stat;
}

std::optional<uid_t> process_uid(pid_t pid) {
  auto status = read_pseudo_file("/proc/" + std::to_string(pid) + "/status");
  if (!status) return std::nullopt;
  const auto line = status->find("\nUid:");
  if (line == std::string::npos) return std::nullopt;
  char* end = nullptr;
  const unsigned long uid = std::strtoul(status->c_str() + line + 5, &end, 10);
  if (end == status->c_str() + line + 5) return std::nullopt;
  return static_cast<uid_t>(uid);
}

std::string describe_process(pid_t pid) {
  auto stat = read_proc_stat(pid);
  if (!stat) return "pid " + std::to_string(pid);
  return "pid " + std::to_string(pid) + " (" + stat->comm + ")";
}

std::chrono::milliseconds process_age(const ProcessId& process) {
  timespec now{};
  ::clock_gettime(CLOCK_BOOTTIME, &now);
  const auto ticks_per_second = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  const auto since_boot = std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
  const auto started = std::chrono::milliseconds(process.start_time * 1000 / ticks_per_second);
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(since_boot) - started,
                  std::chrono::milliseconds::zero());
}

bool is_alive(const ProcessId& process) {
  auto stat = read_proc_stat(process.pid);
  return stat && stat->state != 'Z' && stat->start_time == process.start_time;
}

std::vector<ProcessId> descendants_of(pid_t root) {
  std::vector<ProcessId> found;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    pid_t parent = frontier.back();
    frontier.pop_back();
    auto children = children_of(parent);
    if (!children) return descendants_by_scan(root);
    for (pid_t child : *children) {
      if (auto id = identity(child)) found.push_back(*id);
      frontier.push_back(child);
    }
  }
  return found;
}

std::vector<pid_t> own_children() {
  return children_of(::getpid()).value_or(std::vector<pid_t>{});
}

std::vector<ProcessId> own_children_in_group(pid_t pgid) {
  std::vector<ProcessId> members;
  for (pid_t pid : own_children()) {
    auto stat = read_proc_stat(pid);
    if (stat && stat->pgid == pgid && stat->state != 'Z') members.push_back({pid, stat->start_time});
  }
  return members;
}

}  // namespace moltbot::runtime
