#pragma once
// `database preflight FILE [--json]`: the real CLI's release check of a copied state database
// (openclaw docs reference/database-schemas/storage-changes.md, "Preflight a target release"),
// against this gateway's schema (state_database.h). Read-only: the file is opened immutable.
// Status and exit as the real one answers them: exact, startup-repairable and migration-required
// exit 0; incompatible (newer, or blocking drift) and indeterminate (missing file, sidecars beside
// it, not a database, failed integrity check) exit 1.
#include "command_line.h"
#include "moltbot/common/environment.h"

namespace moltbot::gateway {

inline constexpr const char* preflight_schema = "openclaw.state-schema-preflight.v1";

int run_database_preflight(const CommandLine& command_line, const Environment& env);

}  // namespace moltbot::gateway
