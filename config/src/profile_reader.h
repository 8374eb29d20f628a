#pragma once
// One entry of `profiles`: the profile's own keys on top of a copy of the defaults. What needs
// the file system or the gateway config file is left to the resolver.
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "field_reader.h"
#include "moltbot/config/manifest.h"
#include "port_pins.h"
#include "settings_reader.h"

namespace moltbot::config::loader {

// Keys only a profile may have: each gateway needs its own.
inline const std::vector<std::string_view> profile_only_keys{"port",      "role",    "config_path", "state_dir",
                                                             "workspace", "browser", "canvas_port"};

struct ProfileDraft {
  Profile profile;  // name, where, role, explicit paths and shared settings filled in
  bool valid_name = true;
  std::optional<Pinned<int>> port;  // nullopt when missing or invalid (already reported)
  PortPins pins;                    // what the manifest pins
  std::set<std::string> set_here;   // fields this profile sets itself (not inherited)
  std::set<std::string> bad_paths;  // path fields set but unusable (reported): no default for them
  // The supervisor's environment with HOME of profile.run_as (account_environment): what the
  // profile's paths were expanded with, and what the resolver derives default paths from.
  std::optional<Environment> account_env;
};

ProfileDraft read_profile(const yaml::Entry& entry, const Profile& defaults, const PathContext& paths,
                          Diagnostics& out);

}  // namespace moltbot::config::loader
