#pragma once
// `moltbot-supervisord check [--json] [--ports] MANIFEST`: load and validate a manifest without
// running anything, and print what is wrong (spec sections 3 and 4).
#include <ostream>
#include <string>

#include "moltbot/common/environment.h"
#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::daemon {

// Exit statuses of `check`.
inline constexpr int exit_valid = 0;
inline constexpr int exit_invalid = 1;
inline constexpr int exit_usage = 2;  // bad command line or a file that is not a manifest at all

struct CheckOptions {
  std::string manifest_path;  // as the user gave it; diagnostics name it the same way
  bool json = false;
  bool ports = false;
};

// A `limit-not-enforced` warning for each limit the manifest sets that this host cannot enforce
// (runtime/limit_support.h), at the field that sets it.
void add_limit_warnings(const config::Manifest& manifest, const Environment& env, config::Diagnostics& diagnostics);

// Diagnostics (or the port map) are the command's output and go to `out`.
int run_check(const CheckOptions& options, const Environment& env, std::ostream& out);

}  // namespace moltbot::daemon
