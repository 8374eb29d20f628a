#pragma once
// The size of the terminal on standard output.

namespace moltbot::ctl {

struct TerminalSize {
  int rows = 0;
  int columns = 0;
};

// Zeros when standard output is no terminal (or says no size).
TerminalSize terminal_size();
inline int terminal_columns() { return terminal_size().columns; }

}  // namespace moltbot::ctl
