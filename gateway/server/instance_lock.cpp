#include "instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>
#include <utility>

#include "moltbot/common/stable_hash.h"

namespace moltbot::gateway {
namespace {

std::optional<int> read_pid(int fd) {
  char buffer[32] = {};
  ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return std::nullopt;
  int pid = 0;
  auto [end, ec] = std::from_chars(buffer, buffer + n, pid);
  if (ec != std::errc() || pid <= 0) return std::nullopt;
  return pid;
}

void write_pid(int fd) {
  std::string text = fmt::format("{}\n", ::getpid());
  // The pid is only a courtesy for the contender's message; the flock is the lock.
  if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, text.data(), text.size(), 0);
}

}  // namespace

std::string config_key(const std::filesystem::path& config_path) {
  return fmt::format("{:016x}", fnv1a_64(config_path.lexically_normal().string()));
}

InstanceLock::InstanceLock(int locked_fd, std::filesystem::path path)
    : fd_(locked_fd), path_(std::move(path)) {}

InstanceLock::InstanceLock(InstanceLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);
}

std::filesystem::path instance_lock_path(const std::filesystem::path& state_dir,
                                         const std::filesystem::path& config_path) {
  return state_dir / ("gateway." + config_key(config_path) + ".lock");
}

LockAttempt acquire_instance_lock(const std::filesystem::path& state_dir,
                                  const std::filesystem::path& config_path) {
  LockAttempt attempt;
  attempt.lock_path = instance_lock_path(state_dir, config_path);
  // O_CLOEXEC: a helper process spawned later must not inherit (and so keep) the lock.
  int fd = ::open(attempt.lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    attempt.error = fmt::format("cannot open lock file {}: {}", attempt.lock_path.string(), std::strerror(errno));
    return attempt;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      attempt.held_by_other = true;
      attempt.holder_pid = read_pid(fd);
    } else {
      attempt.error = fmt::format("cannot lock {}: {}", attempt.lock_path.string(), std::strerror(err));
    }
    ::close(fd);
    return attempt;
  }
  write_pid(fd);
  attempt.lock.emplace(fd, attempt.lock_path);
  return attempt;
}

}  // namespace moltbot::gateway
