#pragma once
// Before a child is spawned: is any port of its full set already listened on? A gateway started
// on a taken port would only exit and crash-loop; the profile waits instead and names the holder.
#include <sys/types.h>

#include <optional>
#include <string>

#include "moltbot/config/manifest.h"
#include "moltbot/runtime/shortage.h"

namespace moltbot::runtime {

struct PortConflict {
  int port = 0;
  std::string use;              // "gateway", "CDP range", ...
  std::optional<pid_t> holder;
  std::string message;          // "port 18789 (gateway) held by pid 1234 (nginx)"
};

// The first port of the set that is held, none, or the shortage that kept the supervisor from
// reading the socket tables.
OrShortage<std::optional<PortConflict>> find_port_conflict(const config::ProfilePorts& ports);

}  // namespace moltbot::runtime
