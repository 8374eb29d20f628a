#pragma once
// An aligned text table. Colours are applied after padding, so escape codes never skew columns,
// and only when the caller says the output is a terminal.
#include <ostream>
#include <string>
#include <vector>

namespace moltbot::ctl {

struct Cell {
  std::string text;
  const char* colour = nullptr;  // an ANSI SGR sequence such as "\033[32m", or none
};

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void add(std::vector<Cell> row);
  // `width` > 0 (a terminal's columns): each line is cut there, its last visible cell ending in
  // "~", so a wide table never wraps.
  void print(std::ostream& out, bool colour, int width = 0) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<Cell>> rows_;
};

}  // namespace moltbot::ctl
