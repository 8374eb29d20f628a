#include "moltbot/common/utc_stamp.h"

#include <chrono>
#include <ctime>
#include <fmt/format.h>

namespace moltbot {

std::string utc_stamp(bool milliseconds) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%S", &utc);
  if (!milliseconds) return fmt::format("{}Z", text);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return fmt::format("{}.{:03}Z", text, ms);
}

}  // namespace moltbot
