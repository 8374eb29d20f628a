#include "profile_cells.h"

#include <fmt/format.h>

namespace moltbot::ctl {

using nlohmann::json;

namespace {

const json* resources_of(const json& profile) {
  auto found = profile.find("resources");
  return found == profile.end() || !found->is_object() ? nullptr : &*found;
}

}  // namespace

std::string uptime_text(const json& seconds) {
  if (!seconds.is_number()) return "-";
  auto total = static_cast<long>(seconds.get<double>());
  if (total < 60) return fmt::format("{}s", total);
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, total % 3600 / 60);
}

std::string restarts_text(const json& profile) {
  const int planned = profile.value("planned_restarts", 0);
  const auto restarts = std::to_string(profile["restarts"].get<int>());
  return planned == 0 ? restarts : fmt::format("{} (+{} planned)", restarts, planned);
}

std::string memory_text(const json& profile) {
  const auto* resources = resources_of(profile);
  if (!resources) return "-";
  const auto bytes = resources->value("rss_bytes", 0.0);
  if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.1f}G", bytes / (1024.0 * 1024 * 1024));
  if (bytes >= 1024.0 * 1024) return fmt::format("{:.0f}M", bytes / (1024.0 * 1024));
  return fmt::format("{:.0f}K", bytes / 1024.0);
}

std::string cpu_text(const json& profile) {
  const auto* resources = resources_of(profile);
  if (!resources || !(*resources)["cpu_percent"].is_number()) return "-";
  return fmt::format("{:.1f}", (*resources)["cpu_percent"].get<double>());
}

std::string processes_text(const json& profile) {
  const auto* resources = resources_of(profile);
  return resources ? std::to_string(resources->value("processes", 0)) : "-";
}

}  // namespace moltbot::ctl
