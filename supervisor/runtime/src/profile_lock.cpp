#include "moltbot/runtime/profile_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

namespace {

std::string holder_of(int fd) {
  char text[32] = {};
  ssize_t length = ::pread(fd, text, sizeof text - 1, 0);
  int pid = length > 0 ? std::atoi(text) : 0;
  if (pid <= 0) return "another supervisor";
  return "another supervisor, " + describe_process(pid);
}

}  // namespace

std::variant<ProfileLock, std::string> ProfileLock::acquire(const std::string& state_dir) {
  auto path = (std::filesystem::path(state_dir) / file_name).string();
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot open lock file {}: {}", path, std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    std::string message = error == EWOULDBLOCK
                              ? fmt::format("{} is held by {}", path, holder_of(fd))
                              : fmt::format("cannot lock {}: {}", path, std::strerror(error));
    ::close(fd);
    return message;
  }
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int error = errno;
    ::close(fd);
    return fmt::format("cannot write lock file {}: {}", path, std::strerror(error));
  }
  return ProfileLock(fd);
}

ProfileLock::ProfileLock(ProfileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

ProfileLock& ProfileLock::operator=(ProfileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ProfileLock::~ProfileLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace moltbot::runtime
