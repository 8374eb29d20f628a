#pragma once
// The cross-profile rules validate() runs, one file each. Every rule appends what it finds to
// `out`, reporting a conflict on the profile that comes later in the manifest with a note at the
// earlier one.
#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config::rules {

void check_port_bounds(const Manifest& manifest, Diagnostics& out);        // port-out-of-range
void check_port_self_overlap(const Manifest& manifest, Diagnostics& out);  // port-self-overlap
void check_port_overlap(const Manifest& manifest, Diagnostics& out);       // port-overlap
void check_cdp_url_duplicates(const Manifest& manifest, Diagnostics& out); // cdp-url-duplicate
void check_path_overlap(const Manifest& manifest, Diagnostics& out);       // path-overlap
void check_credential_sharing(const Manifest& manifest, Diagnostics& out); // credential-shared
void check_permission_overlap(const Manifest& manifest, Diagnostics& out); // permission-overlap, rescue-shares-user

}  // namespace moltbot::config::rules
