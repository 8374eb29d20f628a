#pragma once
// The commands that talk to a profile's running gateway (docs/gateway.md, "Commands"):
//   gateway status   probes /status and /startupz on the resolved port; 0 when it answers, else 1
//   gateway restart  SIGUSR2 to the gateway holding the profile's lock, then waits (bounded) for
//                    a started gateway: a new pid (external supervisor) or the same pid after an
//                    in-process restart; 0 then, 1 when none runs or the wait times out
#include "command_line.h"
#include "moltbot/common/environment.h"

namespace moltbot::gateway {

int run_status(const CommandLine& command_line, const Environment& env);

int run_restart(const CommandLine& command_line, const Environment& env);

}  // namespace moltbot::gateway
