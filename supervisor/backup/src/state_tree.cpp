#include "state_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace moltbot::backup {

std::string errno_text(int error) { return std::strerror(error); }

UniqueFd open_directory(int dir_fd, const std::string& name) {
  return UniqueFd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

std::optional<std::vector<std::string>> list_directory(int dir_fd) {
  const int copy = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) return std::nullopt;
  DIR* dir = ::fdopendir(copy);
  if (!dir) {
    const int error = errno;
    ::close(copy);
    errno = error;
    return std::nullopt;
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  const int error = errno;
  ::closedir(dir);
  if (error != 0) {
    errno = error;
    return std::nullopt;
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool kept_in_place(std::string_view name) {
  return name.starts_with("supervisor.") || name == "backups" || name.starts_with(".restore-");
}

bool is_database_name(std::string_view name) { return name.size() > 7 && name.ends_with(".sqlite"); }

bool is_database_sidecar(std::string_view name) {
  for (std::string_view suffix : {"-wal", "-shm", "-journal"})
    if (name.ends_with(suffix) && is_database_name(name.substr(0, name.size() - suffix.size()))) return true;
  return false;
}

std::optional<std::string> remove_tree(int dir_fd, const std::string& name, const std::string& shown) {
  struct stat info {};
  if (::fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return fmt::format("cannot remove {}: {}", shown, errno_text(errno));
  }
  if (S_ISDIR(info.st_mode)) {
    UniqueFd dir = open_directory(dir_fd, name);
    auto names = dir ? list_directory(dir.get()) : std::nullopt;
    if (!names) return fmt::format("cannot remove {}: {}", shown, errno_text(errno));
    for (const auto& child : *names)
      if (auto error = remove_tree(dir.get(), child, shown + "/" + child)) return error;
  }
  if (::unlinkat(dir_fd, name.c_str(), S_ISDIR(info.st_mode) ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
    return fmt::format("cannot remove {}: {}", shown, errno_text(errno));
  return std::nullopt;
}

std::optional<Owner> owner_for(int state_fd) {
  struct stat info {};
  if (::geteuid() != 0 || ::fstat(state_fd, &info) != 0 || info.st_uid == 0) return std::nullopt;
  return Owner{info.st_uid, info.st_gid};
}

std::optional<std::string> give(int fd, const std::optional<Owner>& owner, const std::string& shown) {
  if (!owner || ::fchown(fd, owner->uid, owner->gid) == 0) return std::nullopt;
  return fmt::format("cannot give {} to uid {}: {}", shown, owner->uid, errno_text(errno));
}

}  // namespace moltbot::backup
