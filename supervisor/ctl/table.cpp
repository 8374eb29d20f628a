#include "table.h"

#include <algorithm>

namespace moltbot::ctl {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add(std::vector<Cell> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

void Table::print(std::ostream& out, bool colour, int width) const {
  std::vector<std::size_t> widths;
  for (const auto& header : headers_) widths.push_back(header.size());
  for (const auto& row : rows_)
    for (std::size_t column = 0; column < row.size(); ++column)
      widths[column] = std::max(widths[column], row[column].text.size());

  auto print_row = [&](const std::vector<Cell>& row) {
    std::string line;
    std::size_t used = 0;  // visible characters
    const auto room = width > 0 ? static_cast<std::size_t>(width) : std::string::npos;
    for (std::size_t column = 0; column < row.size() && used < room; ++column) {
      const bool last = column + 1 == row.size();
      std::string text = row[column].text;
      if (!last) text.resize(widths[column] + 2, ' ');
      if (text.size() > room - used) {
        text.resize(room - used);
        while (!text.empty() && text.back() == ' ') text.pop_back();
        if (!text.empty()) text.back() = '~';
      }
      used += text.size();
      if (colour && row[column].colour) {
        const auto cell_end = text.find_last_not_of(' ') + 1;
        text = row[column].colour + text.substr(0, cell_end) + "\033[0m" + text.substr(cell_end);
      }
      line += text;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  };
  std::vector<Cell> header_row;
  for (const auto& header : headers_) header_row.push_back({header, "\033[1m"});
  print_row(header_row);
  for (const auto& row : rows_) print_row(row);
}

}  // namespace moltbot::ctl
