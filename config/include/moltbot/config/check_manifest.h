#pragma once
// Loading and cross-profile validation in one step, the way `check` and the run mode both need
// a manifest: one list of diagnostics, and the manifest only when it may be run.
#include <optional>
#include <string>

#include "moltbot/common/environment.h"
#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config {

struct CheckedManifest {
  // The file cannot be read as a manifest at all (missing, a directory, empty, not text, too
  // large): one file-level diagnostic, "PATH: error: reason". `check` exits 2 for it.
  std::optional<Diagnostic> file_error;
  // The loader's diagnostics, then the validator's (which runs whenever the loader produced a
  // manifest, so one run reports everything).
  Diagnostics diagnostics;
  // What the loader produced; possibly partial when `diagnostics` has errors.
  std::optional<Manifest> manifest;
  std::string text;  // the manifest's text as read

  // A manifest and no errors: safe to run.
  bool valid() const;
  // A manifest whose errors, if any, each keep one profile from starting (stops_one_profile): the
  // supervisor runs it.
  bool runnable() const;
};

// `path` as the user gave it; diagnostics name the file the same way.
CheckedManifest check_manifest(const std::string& path, const Environment& env);
// The same for text already read from `path` (a re-exec carries the manifest in effect across).
CheckedManifest check_manifest_text(const std::string& text, const std::string& path, const Environment& env);

}  // namespace moltbot::config
