#pragma once
// A POSIX access ACL on the control socket's file, so the users and groups of control.grants can
// connect() without the file being opened to everyone: the file system keeps other users out
// before the supervisor's own peer check does.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace moltbot::control {

// Read and write (what connect() needs) for each of `users` and `groups`, on top of the file's
// mode 0660; std::nullopt when done, else why not (the file system has no ACLs: EOPNOTSUPP).
std::optional<std::string> allow_on_socket(const std::string& path, std::vector<uid_t> users,
                                           std::vector<gid_t> groups);

}  // namespace moltbot::control
