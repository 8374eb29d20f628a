#include "moltbot/runtime/profile_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
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

// Opened relative to the state dir, never through a symlink, and only when it is a regular file
// of this process's own with no other link: the pid is written into it, and a file another user
// planted there (a link to /etc/shadow) must not be what is written.
std::variant<int, std::string> open_lock_file(const std::string& state_dir, const std::string& path) {
  const int dir = ::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return fmt::format("cannot open state dir {}: {}", state_dir, std::strerror(errno));
  const int fd = ::openat(dir, ProfileLock::file_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                          0600);
  const int error = errno;
  ::close(dir);
  if (fd < 0 && error == ELOOP) return fmt::format("lock file {} is a symlink: not following it", path);
  if (fd < 0) return fmt::format("cannot open lock file {}: {}", path, std::strerror(error));
  struct stat info {};
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_nlink == 1 && info.st_uid == ::geteuid()) return fd;
  ::close(fd);
  return fmt::format("lock file {} is not a regular file of the supervisor's own with one link (owner uid {}, {} "
                     "links): not using it",
                     path, info.st_uid, info.st_nlink);
}

}  // namespace

std::variant<ProfileLock, std::string> ProfileLock::acquire(const std::string& state_dir) {
  auto path = (std::filesystem::path(state_dir) / file_name).string();
  auto opened = open_lock_file(state_dir, path);
  if (auto* refusal = std::get_if<std::string>(&opened)) return std::move(*refusal);
  const int fd = std::get<int>(opened);
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
