#pragma once
// Who may use the control socket: root, the supervisor's own uid, or a member of
// `supervisor.socket_group` (primary group or supplementary groups of the connecting process).
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace moltbot::control {

// As the kernel took them when the peer connected: no later change of the peer, and no process
// that got its pid later, can alter them.
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
};

// SO_PEERCRED and SO_PEERGROUPS of a connected Unix socket; std::nullopt when the kernel does not
// say who the peer is. Without SO_PEERGROUPS (Linux before 4.13) `groups` stays empty.
std::optional<PeerCredentials> peer_credentials(int socket_fd);

// Root or the supervisor's own uid: more than a member of socket_group (Peer::privileged).
bool privileged(const PeerCredentials& peer, uid_t own_uid);

// Why the peer is refused, or std::nullopt when it may talk to the supervisor.
std::optional<std::string> refusal(const PeerCredentials& peer, uid_t own_uid, std::optional<gid_t> socket_group);

}  // namespace moltbot::control
