#include "moltbot/common/directory_trust.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "moltbot/common/host_accounts.h"
#include "moltbot/common/private_directories.h"

namespace moltbot {

namespace {

template <typename Id>
bool listed(const std::vector<Id>& ids, Id id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::string described(const std::filesystem::path& path, const struct stat& info) {
  return fmt::format("{} (owner uid {}, group gid {}, mode {:04o})", path.string(), info.st_uid, info.st_gid,
                     info.st_mode & 07777);
}

// `target`: the folder itself rather than one of its parents; a sticky bit protects entries of a
// parent, not the folder's own files from its other writers.
std::optional<std::string> untrusted_chain(const std::filesystem::path& dir, const DirectoryTrust& trust, bool target) {
  for (auto path = dir;; path = path.parent_path()) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
      if (errno != ENOENT && errno != ENOTDIR)
        return fmt::format("cannot inspect {}: {}", path.string(), std::strerror(errno));
      target = false;  // created later, by the supervisor
    } else {
      if (info.st_uid != 0 && !listed(trust.owners, info.st_uid))
        return fmt::format("{} is owned by another user; {}", described(path, info),
                           "a folder the supervisor writes into, and each of its parents, must be owned by root or "
                           "the supervisor's uid");
      if (S_ISLNK(info.st_mode)) {
        std::error_code error;
        auto resolved = std::filesystem::canonical(path, error);
        if (error) return fmt::format("cannot resolve {}: {}", path.string(), error.message());
        if (auto problem = untrusted_chain(resolved, trust, target)) return problem;
      } else if (S_ISDIR(info.st_mode)) {
        const bool group_writable = (info.st_mode & S_IWGRP) && !listed(trust.groups, info.st_gid);
        const bool others_writable = info.st_mode & S_IWOTH;
        const bool sticky_parent = !target && (info.st_mode & S_ISVTX);
        if ((group_writable || others_writable) && !sticky_parent)
          return fmt::format("{} is writable by {}; {}", described(path, info), others_writable ? "others" : "its group",
                             target ? "chmod go-w it" : "a parent of a folder the supervisor writes into must not be "
                                                        "writable by other users unless it has the sticky bit (like /tmp)");
      }
      target = false;
    }
    if (path == path.root_path() || path.empty()) return std::nullopt;
  }
}

}  // namespace

DirectoryTrust DirectoryTrust::of_supervisor(const std::optional<std::string>& socket_group) {
  DirectoryTrust trust{{::geteuid()}, {::getegid()}};
  if (socket_group)
    if (auto gid = group_id(*socket_group)) trust.groups.push_back(*gid);
  return trust;
}

std::optional<std::string> untrusted_directory(const std::filesystem::path& dir, const DirectoryTrust& trust) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(dir, error).lexically_normal();
  if (error) return fmt::format("cannot inspect {}: {}", dir.string(), error.message());
  if (absolute.has_filename() == false && absolute != absolute.root_path()) absolute = absolute.parent_path();
  return untrusted_chain(absolute, trust, true);
}

std::optional<std::string> make_trusted_private_directory(const std::filesystem::path& dir, const DirectoryTrust& trust) {
  if (auto error = make_private_directories(dir)) return error;
  if (auto problem = untrusted_directory(dir, trust)) return problem;
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) return fmt::format("cannot inspect {}: {}", dir.string(), std::strerror(errno));
  if ((info.st_mode & 077) && info.st_uid == ::geteuid() && ::chmod(dir.c_str(), 0700) != 0)
    return fmt::format("cannot make {} private (chmod 0700): {}", dir.string(), std::strerror(errno));
  return std::nullopt;
}

}  // namespace moltbot
