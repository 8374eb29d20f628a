#include "moltbot/runtime/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "moltbot/common/write_all.h"

namespace moltbot::runtime {

namespace {
constexpr mode_t log_mode = 0640;
}

LogFolder::~LogFolder() {
  if (fd_ >= 0) ::close(fd_);
}

int LogFolder::descriptor() {
  if (fd_ < 0) fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd_;
}

std::variant<LogFile, std::string> LogFile::open(LogFolder& folder, const std::string& profile, std::size_t rotate_bytes,
                                                 std::size_t keep) {
  LogFile file(folder, profile, rotate_bytes, keep);
  if (auto failure = file.open_current()) return *failure;
  return file;
}

LogFile::LogFile(LogFile&& other) noexcept
    : folder_(other.folder_),
      profile_(std::move(other.profile_)),
      rotate_bytes_(other.rotate_bytes_),
      keep_(other.keep_),
      fd_(std::exchange(other.fd_, -1)),
      size_(other.size_) {}

LogFile& LogFile::operator=(LogFile&& other) noexcept {
  if (this == &other) return *this;
  if (fd_ >= 0) ::close(fd_);
  folder_ = other.folder_;
  profile_ = std::move(other.profile_);
  rotate_bytes_ = other.rotate_bytes_;
  keep_ = other.keep_;
  fd_ = std::exchange(other.fd_, -1);
  size_ = other.size_;
  return *this;
}

LogFile::~LogFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string LogFile::name(std::size_t index) const {
  return index == 0 ? profile_ + ".log" : fmt::format("{}.{}.log", profile_, index);
}

std::string LogFile::path_of(const std::string& name) const { return folder_->path() + "/" + name; }

std::optional<std::string> LogFile::open_current() {
  const auto file = name(0);
  const int dir = folder_->descriptor();
  if (dir < 0) return fmt::format("cannot open log dir {}: {}", folder_->path(), std::strerror(errno));
  constexpr int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
  bool created = true;
  int fd = ::openat(dir, file.c_str(), flags | O_CREAT | O_EXCL, log_mode);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::openat(dir, file.c_str(), flags | O_NONBLOCK);  // a FIFO planted there must not block the loop
  }
  if (fd < 0) {
    if (errno == ELOOP) return fmt::format("{} is a symlink: not following it", path_of(file));
    return fmt::format("cannot open {}: {}", path_of(file), std::strerror(errno));
  }
  struct stat info {};
  std::string refusal;
  if (::fstat(fd, &info) != 0)
    refusal = fmt::format("cannot inspect {}: {}", path_of(file), std::strerror(errno));
  else if (!S_ISREG(info.st_mode) || info.st_nlink != 1 || info.st_uid != ::geteuid())
    refusal = fmt::format("{} is not a regular file of the supervisor's own with one link (owner uid {}, {} links): "
                          "not writing to it",
                          path_of(file), info.st_uid, info.st_nlink);
  else if (::fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) != 0 ||
           (folder_->group() && info.st_gid != *folder_->group() && ::fchown(fd, -1, *folder_->group()) != 0) ||
           ((info.st_mode & 07777) != log_mode && ::fchmod(fd, log_mode) != 0))
    refusal = fmt::format("cannot set the mode of {}: {}", path_of(file), std::strerror(errno));
  if (!refusal.empty()) {
    ::close(fd);
    if (created) ::unlinkat(dir, file.c_str(), 0);
    return refusal;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  size_ = static_cast<std::size_t>(info.st_size);
  return std::nullopt;
}

// Renames within the folder never follow a symlink: a planted one is moved along as a name.
std::optional<std::string> LogFile::rotate() {
  ::close(std::exchange(fd_, -1));
  const int dir = folder_->descriptor();
  for (std::size_t index = keep_; index > 0; --index) {
    const auto from = name(index - 1), to = name(index);
    if (::renameat(dir, from.c_str(), dir, to.c_str()) != 0 && errno != ENOENT)
      return fmt::format("cannot rotate {} to {}: {}", path_of(from), path_of(to), std::strerror(errno));
  }
  return open_current();
}

std::optional<std::string> LogFile::append(std::string_view text) {
  if (fd_ < 0) return fmt::format("{} is closed", path_of(name(0)));
  if (size_ > 0 && size_ + text.size() > rotate_bytes_)
    if (auto failure = rotate()) return failure;
  // spdlog's wording, which operators and the fault matrix know.
  if (!write_all(fd_, text)) return fmt::format("Failed writing to file {}: {}", path_of(name(0)), std::strerror(errno));
  size_ += text.size();
  return std::nullopt;
}

}  // namespace moltbot::runtime
