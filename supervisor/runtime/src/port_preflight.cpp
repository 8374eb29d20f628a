#include "moltbot/runtime/port_preflight.h"

#include <fmt/format.h>

#include <algorithm>

#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/socket_table.h"

namespace moltbot::runtime {

OrShortage<std::optional<PortConflict>> find_port_conflict(const config::ProfilePorts& ports) {
  if (ports.uses.empty()) return std::optional<PortConflict>();
  int first = ports.uses.front().range.first;
  int last = ports.uses.front().range.last;
  for (const auto& use : ports.uses) {
    first = std::min(first, use.range.first);
    last = std::max(last, use.range.last);
  }
  // One read of the socket tables for the whole span, then match each listener to its use.
  auto read = listeners_in_range(first, last);
  if (auto* shortage = std::get_if<Shortage>(&read)) return *shortage;
  auto& listeners = std::get<std::vector<Listener>>(read);
  std::sort(listeners.begin(), listeners.end(), [](const Listener& a, const Listener& b) { return a.port < b.port; });
  for (const auto& listener : listeners) {
    auto use = std::find_if(ports.uses.begin(), ports.uses.end(),
                            [&](const config::PortUse& u) { return u.range.contains(listener.port); });
    if (use == ports.uses.end()) continue;
    // The port is held either way; only its holder may stay unnamed.
    auto owner = owner_anywhere({listener.inode});
    auto* shortage = std::get_if<Shortage>(&owner);
    PortConflict conflict{listener.port, use->name, shortage ? std::nullopt : std::get<std::optional<pid_t>>(owner), {}};
    conflict.message = fmt::format("port {} ({}) held by {}", listener.port, use->name,
                                   conflict.holder ? describe_process(*conflict.holder)
                                   : shortage      ? "a process the supervisor could not look up (" + shortage->message + ")"
                                                   : std::string("a process not visible to the supervisor"));
    return std::optional<PortConflict>(std::move(conflict));
  }
  return std::optional<PortConflict>();
}

}  // namespace moltbot::runtime
