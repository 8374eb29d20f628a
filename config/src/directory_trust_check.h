#pragma once
// `check` says beforehand what the supervisor refuses when it starts: a log dir, socket dir, state
// dir or workspace (or a parent of one) that another user owns or may write
// (moltbot/common/directory_trust.h).
#include "field_reader.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config::loader {

// Where the supervisor's own folders are set: the keys' values, or the manifest when defaulted.
struct SupervisorDirLocations {
  SourceLocation socket;
  SourceLocation log_dir;
};

// untrusted-dir errors, at the field that names the folder (or the profile, when defaulted).
void check_directory_trust(const Manifest& manifest, const SupervisorDirLocations& where, Diagnostics& out);

}  // namespace moltbot::config::loader
