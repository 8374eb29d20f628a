#pragma once
// Group names as the manifest gives them (supervisor.socket_group), looked up on this host.
#include <sys/types.h>

#include <optional>
#include <string>

namespace moltbot {

// The gid of a group name, or std::nullopt when there is no such group.
std::optional<gid_t> group_id(const std::string& name);

}  // namespace moltbot
