#include "moltbot/runtime/listener_ownership.h"

#include <fmt/format.h>

#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

namespace {

ListenerCheck unknown(const Shortage& shortage) {
  return {ListenerCheck::Verdict::unknown, "the supervisor could not check who listens: " + shortage.message, shortage};
}

}  // namespace

ListenerCheck ListenerOwnership::check(int port, pid_t child, const Family& family) {
  auto listeners = loopback_listeners(port);
  if (auto* shortage = std::get_if<Shortage>(&listeners)) return unknown(*shortage);
  auto& inodes = std::get<std::set<SocketInode>>(listeners);
  if (!inodes.empty() && child == owning_child_ && inodes == owned_) return {ListenerCheck::Verdict::owned, {}};
  owning_child_ = 0;
  owned_.clear();

  if (inodes.empty()) return {ListenerCheck::Verdict::no_listener, fmt::format("nothing listens on port {}", port)};
  auto owner = owner_among(inodes, family());
  if (auto* shortage = std::get_if<Shortage>(&owner)) return unknown(*shortage);
  if (std::get<std::optional<pid_t>>(owner)) {
    owning_child_ = child;
    owned_ = std::move(inodes);
    return {ListenerCheck::Verdict::owned, {}};
  }

  auto anywhere = owner_anywhere(inodes);
  if (auto* shortage = std::get_if<Shortage>(&anywhere)) return unknown(*shortage);
  const auto& holder = std::get<std::optional<pid_t>>(anywhere);
  if (!holder)
    return {ListenerCheck::Verdict::foreign,
            fmt::format("foreign listener on port {} (owner not visible to the supervisor)", port)};
  auto stat = read_proc_stat(*holder);
  return {ListenerCheck::Verdict::foreign,
          fmt::format("foreign listener on port {} (pid {}, {})", port, *holder, stat ? stat->comm : "?")};
}

}  // namespace moltbot::runtime
