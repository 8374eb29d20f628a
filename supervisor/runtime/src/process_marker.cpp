#include "moltbot/runtime/process_marker.h"

#include <fmt/format.h>

#include <random>

#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

std::string new_instance_id() {
  std::random_device entropy;
  std::uniform_int_distribution<unsigned long long> draw;
  const auto high = draw(entropy);
  const auto low = draw(entropy);
  return fmt::format("{:016x}{:016x}", high, low);
}

bool is_instance_id(std::string_view text) {
  return text.size() == 32 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

void add_marker(Environment& env, const std::string& profile, const std::string& instance) {
  env.insert_or_assign(marker_profile_variable, profile);
  env.insert_or_assign(marker_instance_variable, instance);
}

MarkerReading read_marker(pid_t pid, std::string_view instance) {
  auto environ = read_pseudo_file("/proc/" + std::to_string(pid) + "/environ");
  if (!environ || environ->empty()) return {};
  const std::string profile_prefix = std::string(marker_profile_variable) + "=";
  const std::string instance_prefix = std::string(marker_instance_variable) + "=";
  std::optional<std::string> profile;
  bool ours = false;
  for (std::string_view rest = *environ; !rest.empty();) {
    const auto end = rest.find('\0');
    const std::string_view entry = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (entry.starts_with(profile_prefix)) profile = std::string(entry.substr(profile_prefix.size()));
    if (entry.starts_with(instance_prefix)) ours = entry.substr(instance_prefix.size()) == instance;
  }
  if (!ours) return {true, std::nullopt};
  return {true, std::move(profile)};
}

}  // namespace moltbot::runtime
