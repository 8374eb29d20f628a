#include "moltbot/common/owned_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace moltbot {
namespace {

std::string failure(const char* what, const std::filesystem::path& path) {
  return fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(errno));
}

// mkdir and an explicit chmod: the supervisor's umask (0027 under the shipped units) would take
// the others' search bit the gateway needs.
std::optional<std::string> make_passable_parents(const std::filesystem::path& dir) {
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) == 0) {
      if (::chmod(partial.c_str(), 0711) != 0) return failure("change the mode of folder", partial);
    } else if (errno != EEXIST) {
      return failure("create folder", partial);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> make_owned_directory(const std::filesystem::path& dir, const Account& owner) {
  if (auto error = make_passable_parents(dir.parent_path())) return error;
  const bool created = ::mkdir(dir.c_str(), 0700) == 0;
  if (!created && errno != EEXIST) return failure("create folder", dir);
  // O_NOFOLLOW: a symlink planted in place of the folder would hand its target to the gateway.
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    struct stat link {};
    if ((error == ELOOP || error == ENOTDIR) && ::lstat(dir.c_str(), &link) == 0 && S_ISLNK(link.st_mode))
      return dir.string() + " is a symlink; a gateway's folder must be a folder";
    if (error == ENOTDIR) return dir.string() + " exists and is not a folder";
    errno = error;
    return failure("open folder", dir);
  }
  struct stat info {};
  std::optional<std::string> error;
  if (::fstat(fd, &info) != 0) {
    error = failure("inspect folder", dir);
  } else if (created && ::fchown(fd, owner.uid, owner.gid) != 0) {
    error = failure("hand over folder", dir);
  } else if (!created && info.st_uid != owner.uid) {
    error = fmt::format(
        "{} is owned by uid {}, not by user \"{}\" (uid {}) who runs the gateway; give it and its contents to that "
        "user: chown -R {}:{} {}",
        dir.string(), info.st_uid, owner.user, owner.uid, owner.user, owner.group, dir.string());
  } else if ((info.st_mode & 07777) != 0700 && ::fchmod(fd, 0700) != 0) {
    error = failure("change the mode of folder", dir);
  }
  ::close(fd);
  return error;
}

}  // namespace moltbot
