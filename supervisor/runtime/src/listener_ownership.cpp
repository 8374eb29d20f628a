#include "moltbot/runtime/listener_ownership.h"

#include <fmt/format.h>

#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

ListenerCheck ListenerOwnership::check(int port, const std::vector<pid_t>& family) {
  auto inodes = loopback_listeners(port);
  pid_t child = family.empty() ? 0 : family.front();
  if (!inodes.empty() && child == owning_child_ && inodes == owned_) return {ListenerCheck::Verdict::owned, {}};
  owning_child_ = 0;
  owned_.clear();

  if (inodes.empty()) return {ListenerCheck::Verdict::no_listener, fmt::format("nothing listens on port {}", port)};
  if (owner_among(inodes, family)) {
    owning_child_ = child;
    owned_ = std::move(inodes);
    return {ListenerCheck::Verdict::owned, {}};
  }

  auto holder = owner_anywhere(inodes);
  if (!holder)
    return {ListenerCheck::Verdict::foreign,
            fmt::format("foreign listener on port {} (owner not visible to the supervisor)", port)};
  auto stat = read_proc_stat(*holder);
  return {ListenerCheck::Verdict::foreign,
          fmt::format("foreign listener on port {} (pid {}, {})", port, *holder, stat ? stat->comm : "?")};
}

}  // namespace moltbot::runtime
