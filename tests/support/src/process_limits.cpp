#include "moltbot/test/process_limits.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace moltbot::test {

namespace {

const std::filesystem::path pids_root = "/sys/fs/cgroup/pids";

// Writes `value` to a cgroup control file, as `echo value > file` does.
void write_control(const std::filesystem::path& file, const std::string& value) {
  std::ofstream out(file);
  out << value << std::flush;
  if (!out) throw std::runtime_error("cannot write " + value + " to " + file.string());
}

std::string read_control(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string value;
  in >> value;
  return value;
}

}  // namespace

DescriptorsExhausted::DescriptorsExhausted() {
  int highest = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    highest = std::max(highest, std::stoi(entry.path().filename().string()));
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  saved_soft_ = limit.rlim_cur;
  // The listing's own descriptor was the highest, or a hole now: either way below the limit.
  limit.rlim_cur = static_cast<rlim_t>(highest) + 1;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) throw std::runtime_error("cannot lower RLIMIT_NOFILE");
  for (;;) {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    fillers_.push_back(fd);
  }
}

DescriptorsExhausted::~DescriptorsExhausted() {
  give_back(fillers_.size());
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = static_cast<rlim_t>(*saved_soft_);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

void DescriptorsExhausted::give_back(std::size_t count) {
  for (; count > 0 && !fillers_.empty(); --count) {
    ::close(fillers_.back());
    fillers_.pop_back();
  }
}

std::optional<std::string> NoMoreProcesses::unavailable() {
  if (::access((pids_root / "cgroup.procs").c_str(), W_OK) != 0)
    return "no writable cgroup v1 pids hierarchy at " + pids_root.string();
  return std::nullopt;
}

NoMoreProcesses::NoMoreProcesses(pid_t pid)
    : cgroup_(pids_root / ("moltbot-test-" + std::to_string(::getpid()) + "-" + std::to_string(pid))) {
  std::filesystem::create_directory(cgroup_);
  write_control(cgroup_ / "cgroup.procs", std::to_string(pid));
  write_control(cgroup_ / "pids.max", read_control(cgroup_ / "pids.current"));
}

NoMoreProcesses::~NoMoreProcesses() {
  // Everything in it goes back: `pid` and whatever it started once allowed to (lift()).
  std::ifstream members(cgroup_ / "cgroup.procs");
  for (std::string member; members >> member;) {
    try {
      write_control(pids_root / "cgroup.procs", member);
    } catch (const std::exception&) {
      // Gone meanwhile: it has left the cgroup either way.
    }
  }
  std::error_code ignored;
  std::filesystem::remove(cgroup_, ignored);
}

void NoMoreProcesses::lift() { write_control(cgroup_ / "pids.max", "max"); }

}  // namespace moltbot::test
