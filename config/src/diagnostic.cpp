#include "moltbot/config/diagnostic.h"

#include <algorithm>

namespace moltbot::config {

bool has_errors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::error; });
}

}  // namespace moltbot::config
