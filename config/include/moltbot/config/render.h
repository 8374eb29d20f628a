#pragma once
// Diagnostics and port maps as people and scripts read them: compiler-style text and JSON
// (spec section 3). Pure functions; the caller decides where the text goes.
#include <string>

#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config {

// "fleet.yaml:14:11: error[port-overlap]: ..." followed by its "...: note: ..." lines; a
// location with line 0 (the whole file) prints as "fleet.yaml: error[...]: ...". Every line
// ends in '\n'.
std::string render_text(const Diagnostic& diagnostic);

// Every diagnostic, then the count line ("1 error", "2 errors, 1 warning"); notes are not
// counted. Empty text for no diagnostics.
std::string render_text(const Diagnostics& diagnostics);

// A JSON array of objects with severity, code, message, file, line, column, profile (null when
// not about one profile) and related ([{message, file, line, column}]).
std::string render_json(const Diagnostics& diagnostics);

// An aligned table of every profile's port map, one row per profile. Ports the gateway takes
// as a silent fallback are marked with '*'.
std::string render_port_table(const Manifest& manifest);

// {"diagnostics": [...], "profiles": [{name, role, ports: {...}, pinned_cdp_ports, cdp_urls,
// state_dir, config_path, workspace}]}; `manifest` may be null when loading failed.
std::string render_ports_json(const Diagnostics& diagnostics, const Manifest* manifest);

}  // namespace moltbot::config
