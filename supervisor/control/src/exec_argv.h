#pragma once
// The `argv` argument of `exec-environment` and `exec`: a non-empty list of strings, each with the
// placeholders of the manifest's `command` expanded for the profile.
#include <string>
#include <vector>

#include "moltbot/config/manifest.h"
#include "moltbot/control/protocol.h"

namespace moltbot::control {

// Throws CommandError bad-argument naming the string by its index.
std::vector<std::string> expanded_argv(const Request& request, const config::Profile& profile);

}  // namespace moltbot::control
