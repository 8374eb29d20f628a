#pragma once
// `moltbot-supervisorctl top`: the fleet's status refreshed every second. On a terminal, a full
// screen (the alternate screen, restored on exit) with each line cut at its width: keys c, m, n,
// r, s, u sort by CPU, memory, name, restarts, state (worst first) and uptime, q (or Ctrl-C)
// quits, a resized terminal is drawn again at once. Otherwise plain tables, `iterations` of them
// a second apart, for scripts and logs.
#include <string>

#include "top_view.h"

namespace moltbot::ctl {

// `iterations`: 0 is until q on a terminal and 1 otherwise. Returns the exit status.
int run_top(const std::string& socket_path, TopSort sort, int iterations);

}  // namespace moltbot::ctl
