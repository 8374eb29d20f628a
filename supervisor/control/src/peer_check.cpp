#include "moltbot/control/peer_check.h"

#include <sys/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

namespace moltbot::control {

namespace {

std::vector<gid_t> peer_groups(int socket_fd) {
  std::vector<gid_t> groups(16);
  for (;;) {
    socklen_t size = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &size) == 0) {
      groups.resize(size / sizeof(gid_t));
      return groups;
    }
    // ERANGE: `size` now says how much room they need.
    if (errno != ERANGE || size / sizeof(gid_t) <= groups.size()) return {};
    groups.resize(size / sizeof(gid_t));
  }
}

}  // namespace

std::optional<PeerCredentials> peer_credentials(int socket_fd) {
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) return std::nullopt;
  return PeerCredentials{credentials.pid, credentials.uid, credentials.gid, peer_groups(socket_fd)};
}

bool privileged(const PeerCredentials& peer, uid_t own_uid) { return peer.uid == 0 || peer.uid == own_uid; }

std::optional<std::string> refusal(const PeerCredentials& peer, uid_t own_uid, std::optional<gid_t> socket_group) {
  if (privileged(peer, own_uid)) return std::nullopt;
  if (socket_group) {
    if (peer.gid == *socket_group) return std::nullopt;
    if (std::find(peer.groups.begin(), peer.groups.end(), *socket_group) != peer.groups.end()) return std::nullopt;
    return fmt::format("uid {} (pid {}) is neither root, the supervisor's uid {} nor a member of group {}", peer.uid,
                       peer.pid, own_uid, *socket_group);
  }
  return fmt::format("uid {} (pid {}) is neither root nor the supervisor's uid {} (no socket_group is set)", peer.uid,
                     peer.pid, own_uid);
}

}  // namespace moltbot::control
