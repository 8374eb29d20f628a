#pragma once
// Reading a manifest: YAML (with line/column of every node) to a resolved Manifest.
#include <optional>
#include <string>

#include "moltbot/common/environment.h"
#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config {

struct LoadResult {
  // Set when the file cannot be read as a manifest at all: missing, unreadable, a directory,
  // empty, not text, too large. One line, naming the file. `check` exits 2 for these.
  std::optional<std::string> file_error;
  // Per-field problems (syntax, duplicate/unknown keys, types, durations, names, config-file
  // contradictions). Non-empty errors mean `manifest` may be partial and must not be run.
  Diagnostics diagnostics;
  std::optional<Manifest> manifest;
  std::string text;  // what was read, for a re-exec to carry the manifest in effect across
};

// `env` supplies HOME, ${VAR} values, uid-dependent defaults (RUNTIME_DIRECTORY, XDG_RUNTIME_DIR)
// and the inherited part of each child's environment (for credential ${VAR} resolution).
LoadResult load_manifest(const std::string& path, const Environment& env);

// Same, from text already in memory (`path` is used for messages and relative paths).
LoadResult load_manifest_text(const std::string& text, const std::string& path, const Environment& env);

}  // namespace moltbot::config
