#include "running_gateway.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "instance_lock.h"

namespace moltbot::gateway {
namespace {

namespace fs = std::filesystem;

// The pid of the process holding a flock on the file with this device and inode, from
// /proc/locks lines such as "3: FLOCK  ADVISORY  WRITE 1234 fe:00:10952772 0 EOF" (waiters,
// marked "->", hold nothing).
std::optional<pid_t> flock_holder(const struct stat& file) {
  std::ifstream locks("/proc/locks");
  const std::string device_and_inode =
      fmt::format("{:02x}:{:02x}:{}", major(file.st_dev), minor(file.st_dev), file.st_ino);
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream fields(line);
    std::string id, type, mode, access, where;
    pid_t pid = 0;
    if (!(fields >> id >> type >> mode >> access >> pid >> where)) continue;
    if (type == "FLOCK" && where == device_and_inode) return pid;
  }
  return std::nullopt;
}

}  // namespace

RunningGateway find_running_gateway(const fs::path& state_dir, const fs::path& config_path) {
  const fs::path lock = instance_lock_path(state_dir, config_path);
  struct stat info {};
  if (::stat(lock.c_str(), &info) != 0) {
    if (errno == ENOENT) {
      return {std::nullopt, fmt::format("no gateway has run with state dir {} and config {} (no lock file {})",
                                        state_dir.string(), config_path.string(), lock.string())};
    }
    return {std::nullopt, fmt::format("cannot read lock file {}: {}", lock.string(), std::strerror(errno))};
  }
  auto pid = flock_holder(info);
  if (!pid) {
    return {std::nullopt, fmt::format("no gateway is running with state dir {} and config {} (nobody holds {})",
                                      state_dir.string(), config_path.string(), lock.string())};
  }
  std::error_code ec;
  std::string program = fs::read_symlink(fmt::format("/proc/{}/exe", *pid), ec).filename().string();
  if (ec) return {std::nullopt, fmt::format("cannot inspect pid {}, which holds {}: {}", *pid, lock.string(), ec.message())};
  // A binary replaced on disk while running reads as "moltbot-gateway (deleted)".
  if (program.starts_with("moltbot-gateway") && program.ends_with(" (deleted)")) program.resize(program.size() - 10);
  if (program != "moltbot-gateway") {
    return {std::nullopt, fmt::format("pid {} holds {} but is {}, not moltbot-gateway", *pid, lock.string(), program)};
  }
  return {pid, {}};
}

}  // namespace moltbot::gateway
