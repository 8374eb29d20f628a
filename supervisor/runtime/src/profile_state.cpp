#include "moltbot/runtime/profile_state.h"

namespace moltbot::runtime {

const char* to_string(State state) {
  switch (state) {
    case State::stopped: return "stopped";
    case State::starting: return "starting";
    case State::running: return "running";
    case State::unhealthy: return "unhealthy";
    case State::backoff: return "backoff";
    case State::stopping: return "stopping";
    case State::fatal: return "fatal";
  }
  return "unknown";
}

}  // namespace moltbot::runtime
