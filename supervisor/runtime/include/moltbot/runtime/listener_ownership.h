#pragma once
// Whether the process listening on a port is the supervised child (or one of its descendants).
// Something answering on the port is not proof of health: a leftover or foreign gateway may.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "moltbot/runtime/shortage.h"
#include "moltbot/runtime/socket_table.h"

namespace moltbot::runtime {

struct ListenerCheck {
  // unknown: the supervisor could not look (shortage.h), which says nothing about the child.
  enum class Verdict { owned, no_listener, foreign, unknown };
  Verdict verdict = Verdict::no_listener;
  std::string description;  // for foreign: "foreign listener on port 18789 (pid 1234, nginx)"
  std::optional<Shortage> shortage = std::nullopt;  // for unknown: what kept the supervisor from looking
};

// One profile's check, run after every probe that got an answer. The listener found owned is
// remembered with the child's pid: while the kernel names that same socket for that same child,
// neither the child's family nor any /proc/PID/fd is read. A new socket or a new child checks
// afresh (a socket that outlives its child keeps the port, so preflight holds the next spawn back
// until it is gone).
class ListenerOwnership {
 public:
  using Family = std::function<std::vector<pid_t>()>;
  // `family`: `child` first, then its descendants; called only when the socket or the child is new.
  ListenerCheck check(int port, pid_t child, const Family& family);
  // The same with the family known up front (`child` first).
  ListenerCheck check(int port, const std::vector<pid_t>& family) {
    return check(port, family.empty() ? 0 : family.front(), [&] { return family; });
  }

 private:
  pid_t owning_child_ = 0;
  std::set<SocketInode> owned_;
};

}  // namespace moltbot::runtime
