#pragma once
// An env_file holds secrets (tokens): one that other users may read gives them away, one they
// may write lets them set the gateway's environment (LD_PRELOAD, NODE_OPTIONS). Like OpenSSH with
// a private key, the supervisor refuses it when it runs as root, and warns otherwise (an
// operator's own fleet, where the file's group may be the operator's alone).
#include <string>

#include "field_reader.h"

namespace moltbot::config::loader {

// env-file-permissions (an error when `as_root`, else a warning) when group or others may read
// or write `path`; names the path, its mode and the fix. Nothing when it cannot be stat'ed (the
// reader reports that).
void check_env_file_mode(const std::string& path, const SourceLocation& where, const FieldReader& reader,
                         bool as_root);

}  // namespace moltbot::config::loader
