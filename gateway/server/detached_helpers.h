#pragma once
// The double_fork_helpers and port_squatter test faults. Like `setsid -f`, a helper is started by
// a child that calls setsid, forks the helper and exits at once: the helper is an orphan from its
// first instruction, re-parented to the nearest child subreaper, no descendant of the gateway and
// in a session of its own. A supervisor that follows the gateway's tree, group or session never
// sees it. Each helper is a fork of the gateway that keeps no descriptor but stdout and stderr
// (no lock, no port) and does not exec: a hundred of them start in milliseconds.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace moltbot::gateway {

struct DetachedHelpers {
  std::vector<pid_t> pids;
  std::string error;  // set when not all could be started
};

// `count` helpers started that way, which sleep until a signal ends them; with `ignore_sigterm`
// (the fault of that name, passed on as the real gateway's helpers would) SIGTERM does not.
DetachedHelpers spawn_detached_helpers(int count, bool ignore_sigterm);

struct PortSquatter {
  std::optional<pid_t> pid;
  int gateway_end = -1;  // kept open by the gateway: the squatter acts when it closes (the gateway died)
  std::string error;
};

// A helper started that way which waits for the gateway to die, then listens on 127.0.0.1:`port`
// (retrying while the dead gateway's listener lingers) until a signal ends it, as a leftover
// holding the gateway's port would.
PortSquatter spawn_port_squatter(int port, bool ignore_sigterm);

}  // namespace moltbot::gateway
