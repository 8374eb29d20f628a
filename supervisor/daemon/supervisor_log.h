#pragma once
// The supervisor's own log on stderr, in a form journald reads well: under systemd
// (JOURNAL_STREAM set) each line starts with a syslog priority "<N>" and carries no timestamp
// or colour; on a terminal, a timestamp and the level name.
#include "moltbot/common/environment.h"

namespace moltbot::daemon {

void configure_supervisor_log(const Environment& env);

}  // namespace moltbot::daemon
