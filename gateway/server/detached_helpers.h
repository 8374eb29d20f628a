#pragma once
// The double_fork_helpers and port_squatter test faults. Like `setsid -f`, a helper is started by
// a child that calls setsid, forks the helper and exits at once: the helper is an orphan from its
// first instruction, re-parented to the nearest child subreaper, no descendant of the gateway and
// in a session of its own. A supervisor that follows the gateway's tree, group or session never
// sees it. Each is this binary re-executed, holding no lock and no port, stdout/stderr inherited.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace moltbot::gateway {

struct DetachedHelpers {
  std::vector<pid_t> pids;
  std::string error;  // set when not all could be started
};

// `count` helpers (`<this executable> --helper`) started that way.
DetachedHelpers spawn_detached_helpers(int count);

struct PortSquatter {
  std::optional<pid_t> pid;
  int gateway_end = -1;  // kept open by the gateway: the squatter acts when it closes (the gateway died)
  std::string error;
};

// A helper (`<this executable> --squat-port PORT`) started that way, which waits for the gateway
// to die and then listens on `port`, as a leftover holding the gateway's port would.
PortSquatter spawn_port_squatter(int port);

// The squatter's main: waits for EOF on descriptor 3, then listens on 127.0.0.1:PORT (retrying
// while the port is still taken) until a signal ends it.
int run_port_squatter(int port, bool ignore_sigterm);

}  // namespace moltbot::gateway
