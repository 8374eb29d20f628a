#pragma once
// `config set PATH VALUE [--strict-json]`: sets one dot path in the profile's JSON config file,
// e.g. `config set gateway.port 19001 --strict-json` (docs/gateway.md, "config set"). VALUE is
// JSON with --strict-json (an error otherwise), else JSON when it parses and a string when it
// does not. Missing objects on the path are created; the file is created 0600 in a 0700 folder
// when missing, and rewritten atomically (0600, comments dropped) when present. The result must
// still be a valid config for the gateway (gateway.port a port, ...), or nothing is written.
#include "command_line.h"
#include "moltbot/common/environment.h"

namespace moltbot::gateway {

int run_config_set(const CommandLine& command_line, const Environment& env);

}  // namespace moltbot::gateway
