#include "moltbot/runtime/exit_status.h"

#include <signal.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include "moltbot/common/signal_names.h"

namespace moltbot::runtime {

ExitStatus ExitStatus::from_wait_status(int status) {
  if (WIFSIGNALED(status)) return {-1, WTERMSIG(status), static_cast<bool>(WCOREDUMP(status))};
  return exited(WEXITSTATUS(status));
}

bool ExitStatus::is_clean() const { return code == 0 || code == 128 + SIGTERM || signal == SIGTERM; }

std::string ExitStatus::describe() const {
  if (!known) return "exited (status unknown: adopted from an earlier supervisor, it was reaped by init)";
  if (signal != 0)
    return fmt::format("killed by signal {} ({}){}", signal, moltbot::signal_name(signal), core_dumped ? ", core dumped" : "");
  return fmt::format("exit status {}", code);
}

}  // namespace moltbot::runtime
