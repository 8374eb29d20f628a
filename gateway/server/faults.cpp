#include "faults.h"

#include <charconv>

#include "moltbot/common/duration.h"

namespace moltbot::gateway {
namespace {

std::optional<long long> parse_number(std::string_view text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// Applies one `name` or `name=value` item; returns an error message or nothing.
std::optional<std::string> apply(std::string_view item, Faults& faults) {
  std::string_view name = item;
  std::optional<std::string_view> value;
  if (auto eq = item.find('='); eq != std::string_view::npos) {
    name = item.substr(0, eq);
    value = item.substr(eq + 1);
  }
  auto bad = [&](std::string_view expected) {
    return "\"" + std::string(item) + "\": expected " + std::string(expected);
  };
  auto flag = [&](bool& out) -> std::optional<std::string> {
    if (value) return bad(std::string(name) + " without a value");
    out = true;
    return std::nullopt;
  };
  auto set_duration = [&](auto& out) -> std::optional<std::string> {
    auto parsed = value ? parse_duration(*value) : std::nullopt;
    if (!parsed) return bad(std::string(name) + "=DURATION");
    out = *parsed;
    return std::nullopt;
  };

  if (name == "crash_at_start") return flag(faults.crash_at_start);
  if (name == "ignore_sigterm") return flag(faults.ignore_sigterm);
  if (name == "spawn_helper") return flag(faults.spawn_helper);
  if (name == "port_squatter") return flag(faults.port_squatter);
  if (name == "double_fork_helpers") {
    auto count = value ? parse_number(*value) : std::nullopt;
    if (!count || *count < 1 || *count > 1000) return bad("double_fork_helpers=N with N 1..1000");
    faults.double_fork_helpers = static_cast<int>(*count);
    return std::nullopt;
  }
  if (name == "exit_after") {
    auto colon = value ? value->rfind(':') : std::string_view::npos;
    if (colon == std::string_view::npos) return bad("exit_after=DURATION:CODE");
    auto delay = parse_duration(value->substr(0, colon));
    auto code = parse_number(value->substr(colon + 1));
    if (!delay || !code || *code > 255) return bad("exit_after=DURATION:CODE with CODE 0..255");
    faults.exit_after = ExitAfter{*delay, static_cast<int>(*code)};
    return std::nullopt;
  }
  if (name == "hold_ports") {
    auto count = value ? parse_number(*value) : std::nullopt;
    if (!count || *count < 1 || *count > 100) return bad("hold_ports=N with N 1..100");
    faults.hold_ports = static_cast<int>(*count);
    return std::nullopt;
  }
  if (name == "slow_start") return set_duration(faults.slow_start);
  if (name == "stop_health_after") return set_duration(faults.stop_health_after);
  if (name == "slow_reply") return set_duration(faults.slow_reply);
  if (name == "churn_state") return set_duration(faults.churn_state);
  if (name == "startup_sidecars") return set_duration(faults.startup_sidecars);
  if (name == "db_writes") return set_duration(faults.db_writes);
  return "unknown fault \"" + std::string(name) + "\"";
}

}  // namespace

FaultsResult parse_faults(std::string_view spec) {
  FaultsResult result;
  while (!spec.empty()) {
    auto comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    if (item.empty()) continue;
    if (auto error = apply(item, result.faults)) {
      result.error = std::string(faults_variable) + ": " + *error;
      return result;
    }
  }
  return result;
}

}  // namespace moltbot::gateway
