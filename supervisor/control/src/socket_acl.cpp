#include "socket_acl.h"

#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <sys/xattr.h>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace moltbot::control {

namespace {

constexpr std::uint16_t read_write = ACL_READ | ACL_WRITE;

void append(std::string& acl, std::uint16_t tag, std::uint16_t perm, std::uint32_t id) {
  // Little-endian on disk and in the xattr; this runs on little-endian Linux hosts (x86, arm64).
  posix_acl_xattr_entry entry{tag, perm, id};
  acl.append(reinterpret_cast<const char*>(&entry), sizeof entry);
}

template <typename Id>
void sort_unique(std::vector<Id>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

}  // namespace

std::optional<std::string> allow_on_socket(const std::string& path, std::vector<uid_t> users,
                                           std::vector<gid_t> groups) {
  static_assert(std::endian::native == std::endian::little, "the ACL xattr is written in host byte order");
  // The kernel takes named entries in ascending id order, each id once.
  sort_unique(users);
  sort_unique(groups);
  const std::uint32_t undefined = static_cast<std::uint32_t>(ACL_UNDEFINED_ID);
  std::string acl;
  const posix_acl_xattr_header header{POSIX_ACL_XATTR_VERSION};
  acl.append(reinterpret_cast<const char*>(&header), sizeof header);
  append(acl, ACL_USER_OBJ, read_write, undefined);
  for (uid_t uid : users) append(acl, ACL_USER, read_write, uid);
  append(acl, ACL_GROUP_OBJ, read_write, undefined);
  for (gid_t gid : groups) append(acl, ACL_GROUP, read_write, gid);
  append(acl, ACL_MASK, read_write, undefined);
  append(acl, ACL_OTHER, 0, undefined);
  if (::setxattr(path.c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0) == 0) return std::nullopt;
  const int error = errno;
  return fmt::format("cannot let the users and groups of control.grants connect to {}: {}{}", path,
                     std::strerror(error),
                     error == EOPNOTSUPP ? " (its file system has no POSIX ACLs: put the socket on one that has, such "
                                           "as /run)"
                                         : "");
}

}  // namespace moltbot::control
