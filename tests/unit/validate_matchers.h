#pragma once
// Picking diagnostics out of a validator run by code, for assertions.
#include <algorithm>
#include <string>
#include <vector>

#include "moltbot/config/diagnostic.h"

namespace moltbot::test {

inline std::vector<config::Diagnostic> with_code(const config::Diagnostics& all, const std::string& code) {
  std::vector<config::Diagnostic> picked;
  std::copy_if(all.begin(), all.end(), std::back_inserter(picked),
               [&](const config::Diagnostic& d) { return d.code == code; });
  return picked;
}

inline bool has_message(const config::Diagnostics& all, const std::string& message) {
  return std::any_of(all.begin(), all.end(), [&](const config::Diagnostic& d) { return d.message == message; });
}

}  // namespace moltbot::test
