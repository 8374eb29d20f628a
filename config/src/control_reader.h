#pragma once
// The manifest's top-level `control` section: grants of control commands to users and groups
// who are neither root, the supervisor's user nor members of supervisor.socket_group.
#include <vector>

#include "field_reader.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config::loader {

// The grants of `node` (the value of `control`), checked against this host's users and groups and
// against `profiles` (the fleet's, read before). Problems go to `reader` (the top-level reader).
std::vector<ControlGrant> read_control(const yaml::Node& node, const FieldReader& reader,
                                       const std::vector<Profile>& profiles);

}  // namespace moltbot::config::loader
