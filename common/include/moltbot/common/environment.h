#pragma once
// A process environment as plain data, so resolution and child-environment building are pure
// functions that tests can feed any environment.
#include <map>
#include <optional>
#include <string>

namespace moltbot {

using Environment = std::map<std::string, std::string>;

// A copy of this process's environ.
Environment current_environment();

std::optional<std::string> lookup(const Environment& env, const std::string& name);

}  // namespace moltbot
