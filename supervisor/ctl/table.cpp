#include "table.h"

#include <algorithm>

namespace moltbot::ctl {

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add(std::vector<Cell> row) {
  row.resize(headers_.size());
  rows_.push_back(std::move(row));
}

void Table::print(std::ostream& out, bool colour) const {
  std::vector<std::size_t> widths;
  for (const auto& header : headers_) widths.push_back(header.size());
  for (const auto& row : rows_)
    for (std::size_t column = 0; column < row.size(); ++column)
      widths[column] = std::max(widths[column], row[column].text.size());

  auto print_row = [&](const std::vector<Cell>& row) {
    std::string line;
    for (std::size_t column = 0; column < row.size(); ++column) {
      const bool last = column + 1 == row.size();
      std::string text = row[column].text;
      if (!last) text.resize(widths[column], ' ');
      if (colour && row[column].colour) text = row[column].colour + text + "\033[0m";
      line += text;
      if (!last) line += "  ";
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
