#pragma once
// Cross-profile rules of spec section 3: ports, paths, credentials, rescue isolation.
#include "moltbot/config/diagnostic.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config {

// Every problem in one run; never modifies the manifest.
Diagnostics validate(const Manifest& manifest);

}  // namespace moltbot::config
