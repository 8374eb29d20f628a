#pragma once
// The wire side of sd_notify(3), written here instead of linking libsystemd: the protocol is one
// datagram of "KEY=VALUE" lines to $NOTIFY_SOCKET, documented as stable, and libsystemd with the
// compression and crypto libraries it loads cost the supervisor about 0.8 MiB of resident pages
// (docs/benchmarks.md, "Supervisor memory").
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "moltbot/common/environment.h"

namespace moltbot::runtime {

// Sends `message` as one datagram to `socket`: a file system path, or "@name" in the abstract
// namespace, with `fds` attached (SCM_RIGHTS, as sd_pid_notify_with_fds() does; at most 253, the
// kernel's limit per message). Blocks while the service manager's queue is full, as sd_notify()
// does. 0 on success, an errno value otherwise.
int send_notification(const std::string& socket, std::string_view message, std::span<const int> fds = {});

// WatchdogSec= as the service manager passes it: WATCHDOG_USEC, provided that WATCHDOG_PID is
// unset or names this process (otherwise the variables were meant for someone else).
std::optional<std::chrono::microseconds> watchdog_timeout(const Environment& env);

}  // namespace moltbot::runtime
