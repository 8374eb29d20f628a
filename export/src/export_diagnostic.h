#pragma once
// The diagnostics of an export: the checker's Diagnostic, at the manifest line of the field the
// problem comes from (docs/kubernetes.md lists the codes).
#include <string>

#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::fleet_export {

inline config::Diagnostic profile_diagnostic(config::Severity severity, std::string code, const config::Profile& profile,
                                             const std::string& field, std::string message) {
  config::Diagnostic diagnostic;
  diagnostic.severity = severity;
  diagnostic.code = std::move(code);
  diagnostic.message = "profile \"" + profile.name + "\": " + std::move(message);
  diagnostic.where = profile.location_of(field);
  diagnostic.profile = profile.name;
  return diagnostic;
}

}  // namespace moltbot::fleet_export
