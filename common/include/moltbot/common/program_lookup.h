#pragma once
// How a command's program is found, for everything the supervisor runs: the gateway command
// (with the supervisor's own folder as the last resort) and the exec health command.
#include <filesystem>
#include <optional>
#include <string>

#include "moltbot/common/environment.h"

namespace moltbot {

// `name` as given when it contains '/'; otherwise the first executable regular file called `name`
// in the directories of env's PATH (the child's PATH, not the supervisor's), then in
// `fallback_dir` when one is given. Nothing when not found: never the working directory.
std::optional<std::string> resolve_program(const std::string& name, const Environment& env,
                                           const std::filesystem::path& fallback_dir = {});

}  // namespace moltbot
