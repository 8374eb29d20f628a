#pragma once
// The supervisor's own log on stderr, in a form journald reads well: under systemd
// (JOURNAL_STREAM set) each line starts with a syslog priority "<N>" and carries no timestamp
// or colour; on a terminal, a timestamp and the level name.
#include "moltbot/common/environment.h"
#include "moltbot/config/diagnostic.h"

namespace moltbot::daemon {

void configure_supervisor_log(const Environment& env);

// The manifest's diagnostics at start, on stderr as `check` prints them; under journald each line
// carries its diagnostic's priority (error <3>, warning <4>, note <5>), the count line the highest.
void print_manifest_diagnostics(const config::Diagnostics& diagnostics);

}  // namespace moltbot::daemon
