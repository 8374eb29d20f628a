#pragma once
// From a profile as written to the profile the gateway will really run: default paths, the
// gateway config file's pins (a contradicting manifest value is an error) and credentials, the
// full port set.
#include "field_reader.h"
#include "moltbot/common/environment.h"
#include "moltbot/config/manifest.h"
#include "profile_reader.h"

namespace moltbot::config::loader {

// `env` is the supervisor's environment (HOME, and the inherited part of the child's).
Profile resolve_profile(ProfileDraft draft, const Environment& env, Diagnostics& out);

// env-file-unreadable when the profile's env_file cannot be read or parsed; bad-value when it
// sets a variable the supervisor derives from the profile; env-file-permissions when other users
// may read or write it (env_file_mode.h). `reader` names the subject.
void check_env_file(const Profile& profile, const FieldReader& reader);

}  // namespace moltbot::config::loader
