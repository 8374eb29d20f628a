#pragma once
// The spawn_helper test fault. The real gateway runs helper processes, one of them in its own
// process group, that outlive a kill of the gateway's group; a supervisor has to find them
// (subreaper) and end them itself. The helper is this binary re-executed with --helper.
#include <sys/types.h>

#include <optional>
#include <string>

namespace moltbot::gateway {

struct HelperSpawn {
  std::optional<pid_t> pid;
  std::string error;
};

// Starts `<this executable> --helper` in a new session (so a new process group) with every
// descriptor above stderr closed: it holds neither the lock nor any port, only stdout/stderr.
HelperSpawn spawn_helper();

// The helper's main: sleeps until a signal ends it; with `ignore_sigterm` (the fault of the same
// name, which the gateway passes on to its helpers), SIGTERM does not.
int run_helper(bool ignore_sigterm);

}  // namespace moltbot::gateway
