#include "terminal_size.h"

#include <sys/ioctl.h>
#include <unistd.h>

namespace moltbot::ctl {

TerminalSize terminal_size() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return {};
  return {size.ws_row, size.ws_col};
}

}  // namespace moltbot::ctl
