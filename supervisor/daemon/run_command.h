#pragma once
// `moltbot-supervisord [--manifest MANIFEST]`: validate the manifest like `check`, then run the
// fleet until SIGTERM/SIGINT (spec section 4, issue 5).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "moltbot/common/environment.h"

namespace moltbot::daemon {

// Exit statuses of the run mode (documented in docs/supervisor.md).
inline constexpr int exit_stopped = 0;        // every profile stopped after SIGTERM/SIGINT
inline constexpr int exit_bad_manifest = 1;   // invalid manifest: nothing was started
inline constexpr int exit_unreadable = 2;     // the manifest file cannot be read at all
inline constexpr int exit_profile_taken = 3;  // another supervisor holds a profile's lock
inline constexpr int exit_socket_unavailable = 4;  // the control socket is live elsewhere or cannot be made
inline constexpr int exit_bad_test_fault = 2;      // MOLTBOT_SUPERVISOR_TEST_THROW is malformed (a test facility)

struct RunOptions {
  std::string manifest_path;
  std::optional<std::string> status_file;  // fleet status as JSON, rewritten on every change
  bool ready_when_healthy = false;         // sd_notify READY=1 only once every autostart profile is healthy
  std::vector<std::string> argv;           // the whole command line, for a re-exec to start alike
  // The state a re-exec handed over (reexec.h): the fleet is taken over, not started.
  std::optional<nlohmann::json> handed_over;
};

int run_fleet(const RunOptions& options, const Environment& env);

}  // namespace moltbot::daemon
