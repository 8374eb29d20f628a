#include "moltbot/control/peer_check.h"

#include <grp.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace moltbot::control {

std::optional<PeerCredentials> peer_credentials(int socket_fd) {
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) return std::nullopt;
  return PeerCredentials{credentials.pid, credentials.uid, credentials.gid};
}

std::vector<gid_t> supplementary_groups(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::vector<gid_t> groups;
  for (std::string line; std::getline(status, line);) {
    if (!line.starts_with("Groups:")) continue;
    std::istringstream list(line.substr(7));
    for (gid_t gid; list >> gid;) groups.push_back(gid);
  }
  return groups;
}

bool privileged(const PeerCredentials& peer, uid_t own_uid) { return peer.uid == 0 || peer.uid == own_uid; }

std::optional<std::string> refusal(const PeerCredentials& peer, uid_t own_uid, std::optional<gid_t> socket_group) {
  if (privileged(peer, own_uid)) return std::nullopt;
  if (socket_group) {
    if (peer.gid == *socket_group) return std::nullopt;
    auto groups = supplementary_groups(peer.pid);
    if (std::find(groups.begin(), groups.end(), *socket_group) != groups.end()) return std::nullopt;
    return fmt::format("uid {} (pid {}) is neither root, the supervisor's uid {} nor a member of group {}", peer.uid,
                       peer.pid, own_uid, *socket_group);
  }
  return fmt::format("uid {} (pid {}) is neither root nor the supervisor's uid {} (no socket_group is set)", peer.uid,
                     peer.pid, own_uid);
}

std::optional<gid_t> group_id(const std::string& name) {
  group entry{};
  group* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found) return std::nullopt;
  return found->gr_gid;
}

}  // namespace moltbot::control
