#include "moltbot/common/duration.h"

#include <array>
#include <cstdint>

namespace moltbot {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t millis;
};

// Longest suffix first so "ms" is not read as "m" followed by garbage.
constexpr std::array<Unit, 4> units{{{"ms", 1}, {"h", 3600000}, {"m", 60000}, {"s", 1000}}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::int64_t unit_millis = 1000;  // a bare number is seconds
  for (const Unit& unit : units) {
    if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
      unit_millis = unit.millis;
      text.remove_suffix(unit.suffix.size());
      break;
    }
  }
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && fraction.empty())) return std::nullopt;
  // Exact decimal arithmetic: 0.1s must be 100ms, not 99.
  std::int64_t whole_value = 0;
  for (char c : whole) {
    if (!is_digit(c)) return std::nullopt;
    whole_value = whole_value * 10 + (c - '0');
    if (whole_value > max_duration.count()) return std::nullopt;
  }
  std::int64_t numerator = 0;
  std::int64_t denominator = 1;
  for (char c : fraction) {
    if (!is_digit(c) || denominator >= 1000000000) return std::nullopt;
    numerator = numerator * 10 + (c - '0');
    denominator *= 10;
  }
  const std::int64_t fraction_millis = numerator * unit_millis;
  if (fraction_millis % denominator != 0) return std::nullopt;  // finer than a millisecond
  if (whole_value > max_duration.count() / unit_millis) return std::nullopt;
  const std::int64_t total = whole_value * unit_millis + fraction_millis / denominator;
  if (total > max_duration.count()) return std::nullopt;
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds value) {
  const std::int64_t millis = value.count();
  if (millis == 0) return "0s";
  for (const Unit& unit : {units[1], units[2], units[3]})
    if (millis % unit.millis == 0) return std::to_string(millis / unit.millis) + std::string(unit.suffix);
  return std::to_string(millis) + "ms";
}

}  // namespace moltbot
