#include "fault_table.h"

// Catch2 v2 declares its listener interfaces only on request.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <iostream>
#include <sstream>
#include <vector>

namespace moltbot::test::fault_matrix {

namespace {

struct Row {
  std::string fault;
  std::string expected;
  std::string observed;
  std::string skipped;  // the reason, when the fault could not be injected
  bool failed = false;
};

std::vector<Row>& rows() {
  static std::vector<Row> table;
  return table;
}

Row& current() {
  if (rows().empty()) rows().push_back({"(outside a test case)", {}, {}, {}, false});
  return rows().back();
}

// `text` cut into lines of at most `width` characters, at spaces where possible.
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string line;
  for (std::string word; words >> word;) {
    while (word.size() > width) {
      if (!line.empty()) lines.push_back(std::exchange(line, {}));
      lines.push_back(word.substr(0, width));
      word.erase(0, width);
    }
    if (!line.empty() && line.size() + 1 + word.size() > width) lines.push_back(std::exchange(line, {}));
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

void print_table(std::ostream& out) {
  const std::vector<std::size_t> widths{30, 46, 58, 4};
  auto print_line = [&](const std::vector<std::string>& cells) {
    std::vector<std::vector<std::string>> wrapped;
    std::size_t height = 0;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      wrapped.push_back(wrap(cells[i], widths[i]));
      height = std::max(height, wrapped.back().size());
    }
    for (std::size_t row = 0; row < height; ++row) {
      out << "|";
      for (std::size_t i = 0; i < cells.size(); ++i) {
        auto text = row < wrapped[i].size() ? wrapped[i][row] : "";
        out << " " << text << std::string(widths[i] - text.size(), ' ') << " |";
      }
      out << "\n";
    }
  };
  auto rule = [&] {
    out << "|";
    for (auto width : widths) out << std::string(width + 2, '-') << "|";
    out << "\n";
  };
  int passed = 0, failed = 0, skipped = 0;
  out << "\nFault matrix (docs/supervisor.md, \"Fault matrix\")\n";
  rule();
  print_line({"fault", "expected", "observed", "pass"});
  rule();
  for (const auto& row : rows()) {
    std::string verdict = row.failed ? "NO" : !row.skipped.empty() ? "SKIP" : "yes";
    std::string observed = !row.skipped.empty() ? "not injected: " + row.skipped : row.observed;
    if (row.failed) observed += " [failed: see the assertions above]";
    print_line({row.fault, row.expected, observed, verdict});
    rule();
    (row.failed ? failed : !row.skipped.empty() ? skipped : passed) += 1;
  }
  out << passed << " passed, " << failed << " failed, " << skipped << " skipped\n" << std::flush;
}

class FaultTableListener : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;

  void testCaseStarting(const Catch::TestCaseInfo& info) override { rows().push_back({info.name, {}, {}, {}, false}); }
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    current().failed = stats.totals.assertions.failed > 0;
  }
  void testRunEnded(const Catch::TestRunStats&) override { print_table(std::cout); }
};
CATCH_REGISTER_LISTENER(FaultTableListener)

}  // namespace

void expect(std::string text) { current().expected = std::move(text); }

void observe(std::string text) {
  auto& observed = current().observed;
  observed += (observed.empty() ? "" : "; ") + std::move(text);
}

void skip(std::string reason) { current().skipped = std::move(reason); }

}  // namespace moltbot::test::fault_matrix
