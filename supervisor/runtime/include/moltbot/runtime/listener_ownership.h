#pragma once
// Whether the process listening on a port is the supervised child (or one of its descendants).
// Something answering on the port is not proof of health: a leftover or foreign gateway may.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace moltbot::runtime {

struct ListenerCheck {
  enum class Verdict { owned, no_listener, foreign };
  Verdict verdict = Verdict::no_listener;
  std::string description;  // for foreign: "foreign listener on port 18789 (pid 1234, nginx)"
};

// `family`: the child's pid and those of its descendants.
ListenerCheck check_listener_ownership(int port, const std::vector<pid_t>& family);

}  // namespace moltbot::runtime
