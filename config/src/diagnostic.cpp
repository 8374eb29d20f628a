#include "moltbot/config/diagnostic.h"

#include <algorithm>

namespace moltbot::config {

bool has_errors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::error; });
}

bool stops_one_profile(const Diagnostic& diagnostic) {
  return diagnostic.severity == Severity::error && diagnostic.code == "untrusted-dir" && !diagnostic.profile.empty();
}

}  // namespace moltbot::config
