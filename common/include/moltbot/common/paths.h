#pragma once
// Paths as operators write them: "~", "${VAR}", relative to a base folder. Normalised the way the
// overlap rules need them: symlinks of existing parents resolved, "." and ".." gone.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "moltbot/common/environment.h"

namespace moltbot {

struct ExpandedText {
  std::optional<std::string> text;
  std::string error;  // e.g. "${STATE_ROOT} is not set"
};

// Replaces every ${NAME} (NAME: letters, digits, '_', not starting with a digit) with its value.
// An undefined NAME or a malformed reference is an error; a lone '$' is kept.
ExpandedText expand_variables(std::string_view text, const Environment& env);

// HOME from `env`, else the home directory of the effective user (as the gateway's Node runtime
// does when HOME is unset, e.g. in a systemd unit without User=).
std::optional<std::filesystem::path> home_directory(const Environment& env);

struct ExpandedPath {
  std::optional<std::filesystem::path> path;  // absolute and normalised
  std::string error;                          // "empty path", "${X} is not set", ...
};

// Expands a leading "~" or "~/" (HOME from home_directory), then ${VAR}; joins a relative result
// to `base_dir` and normalises it.
ExpandedPath expand_path(std::string_view text, const Environment& env, const std::filesystem::path& base_dir);

// Absolute path with symlinks of its existing leading part resolved (weakly_canonical), the rest
// normalised lexically, and no trailing separator.
std::filesystem::path normalise_path(const std::filesystem::path& path);

// True when `path` is `folder` or lies inside it. Both should be normalised; compared by whole
// components, so /a/bc is not inside /a/b.
bool is_same_or_within(const std::filesystem::path& path, const std::filesystem::path& folder);

}  // namespace moltbot
