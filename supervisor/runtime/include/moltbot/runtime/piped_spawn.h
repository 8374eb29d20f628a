#pragma once
// spawn() with the child's stdout and stderr each a pipe of its own, for the commands whose output
// the supervisor reads (run_cli, StreamedRun), and optionally its stdin one the supervisor writes.
#include <sys/types.h>

#include <string>
#include <variant>

#include "moltbot/runtime/shortage.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

// The child, the read ends of its output pipes and the write end of its input pipe (-1 without
// one), all close-on-exec, the caller's to close.
struct PipedChild {
  pid_t pid = 0;
  int out_fd = -1;
  int err_fd = -1;
  int in_fd = -1;
};

enum class ChildInput { none, pipe };

// `request`'s output_fd and error_fd (and input_fd, for ChildInput::pipe) are set here. A pipe that cannot be made is a Shortage when
// the supervisor ran out of something (EMFILE, ...), else an error like the spawn's.
std::variant<PipedChild, std::string, Shortage> spawn_piped(SpawnRequest request,
                                                            ChildInput input = ChildInput::none);

}  // namespace moltbot::runtime
