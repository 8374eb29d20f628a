#include "socket_trust.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "moltbot/common/directory_trust.h"

namespace moltbot::ctl {

namespace {

bool member_of(gid_t group) {
  if (group == ::getegid()) return true;
  const int count = ::getgroups(0, nullptr);
  std::vector<gid_t> groups(count > 0 ? static_cast<std::size_t>(count) : 0);
  if (count > 0 && ::getgroups(count, groups.data()) != count) return false;
  for (gid_t member : groups)
    if (member == group) return true;
  return false;
}

}  // namespace

std::optional<uid_t> check_socket_file(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw std::runtime_error(fmt::format("cannot inspect {}: {}", path, std::strerror(errno)));
  }
  const auto refuse = [&](const std::string& why) {
    return UntrustedSocket(fmt::format("refusing to use {}: {}; it may not be the supervisor's", path, why));
  };
  if (!S_ISSOCK(info.st_mode)) throw refuse("it is not a socket");
  const bool own = info.st_uid == 0 || info.st_uid == ::geteuid();
  const bool group_only = member_of(info.st_gid) && (info.st_mode & 0007) == 0;
  if (!own && !group_only)
    throw refuse(fmt::format("it is owned by uid {} (group gid {}, mode {:04o}), neither root nor this user (uid {}), "
                             "nor a group of this user's closed to others",
                             info.st_uid, info.st_gid, info.st_mode & 07777, ::geteuid()));
  auto folder = std::filesystem::path(path).parent_path();
  const DirectoryTrust trust{{::geteuid(), info.st_uid}, {}};
  if (auto problem = untrusted_directory(folder.empty() ? "." : folder, trust)) throw refuse(*problem);
  return info.st_uid;
}

void check_socket_peer(int fd, const std::string& path, uid_t owner) {
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0)
    throw UntrustedSocket(fmt::format("refusing to use {}: cannot tell who listens on it: {}", path, std::strerror(errno)));
  if (peer.uid != 0 && peer.uid != owner)
    throw UntrustedSocket(fmt::format("refusing to use {}: it is answered by uid {} (pid {}), neither root nor the "
                                      "socket file's owner (uid {}); it may not be the supervisor's",
                                      path, peer.uid, peer.pid, owner));
}

}  // namespace moltbot::ctl
