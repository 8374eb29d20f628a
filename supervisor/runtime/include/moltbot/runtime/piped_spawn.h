#pragma once
// spawn() with the child's stdout and stderr each a pipe of its own, for the commands whose output
// the supervisor reads (run_cli, StreamedRun).
#include <sys/types.h>

#include <string>
#include <variant>

#include "moltbot/runtime/shortage.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

// The child and the read ends of its pipes (close-on-exec), the caller's to close.
struct PipedChild {
  pid_t pid = 0;
  int out_fd = -1;
  int err_fd = -1;
};

// `request`'s output_fd and error_fd are set here. A pipe that cannot be made is a Shortage when
// the supervisor ran out of something (EMFILE, ...), else an error like the spawn's.
std::variant<PipedChild, std::string, Shortage> spawn_piped(SpawnRequest request);

}  // namespace moltbot::runtime
