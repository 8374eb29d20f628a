#include "moltbot/runtime/port_preflight.h"

#include <fmt/format.h>

#include <algorithm>

#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/socket_table.h"

namespace moltbot::runtime {

std::optional<PortConflict> find_port_conflict(const config::ProfilePorts& ports) {
  if (ports.uses.empty()) return std::nullopt;
  int first = ports.uses.front().range.first;
  int last = ports.uses.front().range.last;
  for (const auto& use : ports.uses) {
    first = std::min(first, use.range.first);
    last = std::max(last, use.range.last);
  }
  // One read of the socket tables for the whole span, then match each listener to its use.
  auto listeners = listeners_in_range(first, last);
  std::sort(listeners.begin(), listeners.end(), [](const Listener& a, const Listener& b) { return a.port < b.port; });
  for (const auto& listener : listeners) {
    auto use = std::find_if(ports.uses.begin(), ports.uses.end(),
                            [&](const config::PortUse& u) { return u.range.contains(listener.port); });
    if (use == ports.uses.end()) continue;
    PortConflict conflict{listener.port, use->name, owner_anywhere({listener.inode}), {}};
    conflict.message = fmt::format("port {} ({}) held by {}", listener.port, use->name,
                                   conflict.holder ? describe_process(*conflict.holder)
                                                   : std::string("a process not visible to the supervisor"));
    return conflict;
  }
  return std::nullopt;
}

}  // namespace moltbot::runtime
