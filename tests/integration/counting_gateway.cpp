#include "counting_gateway.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace moltbot::test {

ProfileOptions counting_profile() {
  return main_profile({}, {{"command", R"(["/bin/sh", "-c", "i=0; while :; do echo \"line $i\"; i=$((i+1)); )"
                                       R"(sleep 0.01; done & exec \")" MOLTBOT_GATEWAY_BIN
                                       R"(\" --profile {profile} --port {port}", "sh"])"}});
}

std::vector<long> counted_lines(const std::string& log) {
  std::vector<long> numbers;
  std::istringstream lines(log);
  for (std::string text; std::getline(lines, text);) {
    const auto at = text.find(" line ");
    if (at == std::string::npos || text.find("[supervisor]") != std::string::npos) continue;
    const auto digits = text.substr(at + 6);
    if (!digits.empty() && std::all_of(digits.begin(), digits.end(), ::isdigit)) numbers.push_back(std::stol(digits));
  }
  return numbers;
}

}  // namespace moltbot::test
