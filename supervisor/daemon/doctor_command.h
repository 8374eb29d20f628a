#pragma once
// `moltbot-supervisord doctor [--json] [MANIFEST]`: a preflight of a live host against a manifest
// (spec section 4): who holds each footprint port now, gateways under other service managers,
// gateway state dirs the manifest does not know. A checklist with a fix for every finding.
#include <ostream>
#include <string>
#include <vector>

#include "moltbot/common/environment.h"

namespace moltbot::daemon {

// Exit statuses of `doctor`: 0 nothing stops the fleet (warnings allowed), 1 at least one error,
// 2 usage error or a manifest file that cannot be read (as for `check`).
inline constexpr int exit_doctor_ok = 0;
inline constexpr int exit_doctor_errors = 1;

struct DoctorOptions {
  std::string manifest_path;
  bool json = false;
  // Replace the folders searched for unit files when not empty: for tests and chroots.
  std::vector<std::string> system_unit_dirs;
  std::vector<std::string> user_unit_dirs;
};

int run_doctor(const DoctorOptions& options, const Environment& env, std::ostream& out);

}  // namespace moltbot::daemon
