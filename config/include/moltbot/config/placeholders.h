#pragma once
// The placeholders of `command` and `cli` (spec section 2): {profile} {port} {state_dir}
// {config_path} {workspace} {browser_control_port} {canvas_port}, expanded with a resolved
// profile's values. `{{` and `}}` stand for literal braces.
#include <optional>
#include <string>
#include <string_view>

#include "moltbot/config/manifest.h"

namespace moltbot::config {

struct ExpandResult {
  std::string text;
  std::optional<std::string> error;  // names the placeholder or the stray brace
};

// Expands the placeholders of one command argument with the profile's values.
ExpandResult expand_placeholders(std::string_view argument, const Profile& profile);

}  // namespace moltbot::config
