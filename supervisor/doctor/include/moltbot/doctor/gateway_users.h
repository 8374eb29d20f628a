#pragma once
// Which user each gateway would run as: a root supervisor running a gateway as root hands the host
// to whatever compromises that gateway.
#include <sys/types.h>

#include "moltbot/config/manifest.h"
#include "moltbot/doctor/checklist.h"

namespace moltbot::doctor {

// One item: a gateway-runs-as-root warning per profile a supervisor running as `supervisor_uid`
// would run as root (config::root_gateway_warnings), with the fix.
CheckItem check_gateway_users(const config::Manifest& manifest, uid_t supervisor_uid);

}  // namespace moltbot::doctor
