#include "moltbot/config/validate.h"

#include "validate_rules.h"

namespace moltbot::config {

Diagnostics validate(const Manifest& manifest) {
  Diagnostics out;
  rules::check_port_bounds(manifest, out);
  rules::check_port_self_overlap(manifest, out);
  rules::check_port_overlap(manifest, out);
  rules::check_cdp_url_duplicates(manifest, out);
  rules::check_path_overlap(manifest, out);
  rules::check_credential_sharing(manifest, out);
  rules::check_permission_overlap(manifest, out);
  return out;
}

}  // namespace moltbot::config
