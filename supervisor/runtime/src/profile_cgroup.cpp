#include "moltbot/runtime/profile_cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <sstream>

#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {
namespace fs = std::filesystem;

namespace {

// The processes of the cgroup at `dir` and of the cgroups below it.
void collect_members(const fs::path& dir, std::vector<pid_t>& members) {
  if (auto procs = read_pseudo_file(dir / "cgroup.procs")) {
    std::istringstream words(*procs);
    for (pid_t pid = 0; words >> pid;)
      if (pid > 0) members.push_back(pid);  // 0: a process outside this pid namespace
  }
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(dir, ignored))
    if (entry.is_directory(ignored)) collect_members(entry.path(), members);
}

// Whether /proc/PID/cgroup puts the process in `cgroup` or below it.
bool is_member(pid_t pid, const std::string& cgroup) {
  auto text = read_pseudo_file("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text) return false;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("0::")) {
      const std::string_view path = std::string_view(line).substr(3);
      return path == cgroup || (path.starts_with(cgroup) && path.size() > cgroup.size() && path[cgroup.size()] == '/');
    }
  return false;
}

void signal_each(const std::vector<pid_t>& members, const std::string& cgroup, int signal, pid_t except) {
  for (pid_t pid : members) {
    if (pid == except) continue;
    // The membership is checked once the descriptor holds the process: a pid listed in
    // cgroup.procs that passed to another process meanwhile is not a member any more.
    auto handle = Pidfd::open(pid);
    if (handle && is_member(pid, cgroup)) handle->signal(signal);
  }
}

void kill_all(const fs::path& dir, const std::string& cgroup) {
  const int fd = ::open((dir / "cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    const bool killed = ::write(fd, "1", 1) == 1;
    ::close(fd);
    if (killed) return;
  }
  signal_each(cgroup_members(dir), cgroup, SIGKILL, 0);
}

}  // namespace

std::variant<std::unique_ptr<ProfileCgroup>, std::string> ProfileCgroup::create(const CgroupParent& parent,
                                                                                 const std::string& profile,
                                                                                 CgroupEvents& events,
                                                                                 bool keep_members) {
  auto path = parent.dir / ("profile-" + profile);
  if (::mkdir(path.c_str(), 0755) != 0) {
    if (errno != EEXIST) return fmt::format("cannot create cgroup {}: {}", path.string(), std::strerror(errno));
    // A predecessor's: nothing of it may share the new gateway's cgroup.
    if (!keep_members) kill_cgroup(parent.mount, path);
  }
  std::unique_ptr<ProfileCgroup> cgroup(new ProfileCgroup(parent.mount, std::move(path), events));
  if (auto error = cgroup->watch()) return *error;
  return cgroup;
}

std::optional<std::string> ProfileCgroup::watch() {
  if (watch_ >= 0) events_.unwatch(std::exchange(watch_, -1));
  auto watch = events_.watch(path_, [this] {
    if (on_change_) on_change_();
  });
  if (auto* error = std::get_if<std::string>(&watch)) return *error;
  watch_ = std::get<int>(watch);
  return std::nullopt;
}

ProfileCgroup::ProfileCgroup(const CgroupMount& mount, fs::path path, CgroupEvents& events)
    : path_(std::move(path)), cgroup_(mount.cgroup_of(path_)), events_(events) {}

ProfileCgroup::~ProfileCgroup() {
  if (watch_ >= 0) events_.unwatch(watch_);
  ::rmdir(path_.c_str());  // EBUSY while populated: left for the next supervisor (leftover_record.h)
}

int ProfileCgroup::open_procs() {
  const auto procs = path_ / "cgroup.procs";
  int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && ::mkdir(path_.c_str(), 0755) == 0) {
    watch();  // the kernel dropped the old watch with the directory
    fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
  }
  return fd;
}

std::vector<pid_t> ProfileCgroup::members() const { return cgroup_members(path_); }

bool ProfileCgroup::populated() const { return cgroup_populated(path_); }

void ProfileCgroup::signal_members(int signal, pid_t except) const { signal_each(members(), cgroup_, signal, except); }

void ProfileCgroup::kill() const { kill_all(path_, cgroup_); }

std::vector<std::string> ProfileCgroup::apply_limits(const config::Limits& limits) const {
  constexpr long cpu_period_us = 100000;
  const std::pair<const char*, std::string> values[] = {
      {"memory.max", limits.memory ? std::to_string(*limits.memory) : "max"},
      {"cpu.max", limits.cpus ? fmt::format("{} {}", static_cast<long>(*limits.cpus * cpu_period_us), cpu_period_us)
                              : fmt::format("max {}", cpu_period_us)},
      {"pids.max", limits.pids ? std::to_string(*limits.pids) : "max"}};
  std::vector<std::string> problems;
  for (const auto& [file, value] : values) {
    const auto path = path_ / file;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    const bool written = fd >= 0 && ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
    const int error = errno;
    if (fd >= 0) ::close(fd);
    // A file missing is a controller not enabled here: unenforceable_limits says so already.
    if (!written && error != ENOENT) problems.push_back(fmt::format("cannot write {} to {}: {}", value, path.string(), std::strerror(error)));
  }
  return problems;
}

std::vector<pid_t> cgroup_members(const fs::path& dir) {
  std::vector<pid_t> members;
  collect_members(dir, members);
  return members;
}

bool cgroup_populated(const fs::path& dir) {
  auto events = read_pseudo_file(dir / "cgroup.events");
  // Unreadable (removed behind our back): nothing can be found in it either.
  return events && events->find("populated 1") != std::string::npos;
}

void kill_cgroup(const CgroupMount& mount, const fs::path& dir) { kill_all(dir, mount.cgroup_of(dir)); }

}  // namespace moltbot::runtime
