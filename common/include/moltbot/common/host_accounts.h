#pragma once
// The users and groups of this host by name (the passwd and group databases, NSS included), for
// what the manifest names: the control socket's group and the users and groups of control grants.
#include <sys/types.h>

#include <optional>
#include <string>

namespace moltbot {

// The uid of a user name, or std::nullopt when this host has no such user.
std::optional<uid_t> user_id(const std::string& name);
// The gid of a group name, or std::nullopt when this host has no such group.
std::optional<gid_t> group_id(const std::string& name);

}  // namespace moltbot
