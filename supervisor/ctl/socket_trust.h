#pragma once
// Whether the socket the client is about to talk to can be the supervisor's. In a folder another
// user may write, that user could rename their own socket over the supervisor's and answer in
// its name (a fake status, a `shutdown` that does nothing). So, like OpenSSH with its control
// socket: the folder and its parents out of other users' reach, the file owned by root or this
// user (or, for a member of socket_group, that group's with no access for others), and the
// process listening on it (SO_PEERCRED) root or the file's owner.
#include <sys/types.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace moltbot::ctl {

// A refusal of the socket, with why: moltbot-supervisorctl exits with exit_untrusted_socket.
class UntrustedSocket : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Before connecting: the owner of the socket file, or std::nullopt when there is no file (the
// connect says the supervisor is not running). Throws UntrustedSocket.
std::optional<uid_t> check_socket_file(const std::string& path);

// After connecting: throws UntrustedSocket unless the peer is root or `owner`.
void check_socket_peer(int fd, const std::string& path, uid_t owner);

}  // namespace moltbot::ctl
