#pragma once
// The CLI commands of moltbot-gateway besides running the gateway (docs/gateway.md, "Commands"):
// the restart-handoff machine contract, `gateway restart` and `status`, the refused service
// commands and `config set`. Each resolves the profile's paths and port exactly as the running
// gateway does and returns the process's exit status.
#include "command_line.h"
#include "moltbot/common/environment.h"

namespace moltbot::gateway {

// For every command but Command::run.
int run_cli_command(const CommandLine& command_line, const Environment& env);

}  // namespace moltbot::gateway
