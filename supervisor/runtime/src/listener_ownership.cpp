#include "moltbot/runtime/listener_ownership.h"

#include <fmt/format.h>

#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/socket_table.h"

namespace moltbot::runtime {

ListenerCheck check_listener_ownership(int port, const std::vector<pid_t>& family) {
  std::set<SocketInode> inodes;
  for (const auto& listener : listeners_in_range(port, port)) inodes.insert(listener.inode);
  if (inodes.empty()) return {ListenerCheck::Verdict::no_listener, fmt::format("nothing listens on port {}", port)};
  if (owner_among(inodes, family)) return {ListenerCheck::Verdict::owned, {}};

  auto holder = owner_anywhere(inodes);
  if (!holder)
    return {ListenerCheck::Verdict::foreign,
            fmt::format("foreign listener on port {} (owner not visible to the supervisor)", port)};
  auto stat = read_proc_stat(*holder);
  return {ListenerCheck::Verdict::foreign,
          fmt::format("foreign listener on port {} (pid {}, {})", port, *holder, stat ? stat->comm : "?")};
}

}  // namespace moltbot::runtime
