#include "moltbot/common/profile_defaults.h"

#include <algorithm>

namespace moltbot {

bool is_valid_profile_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::filesystem::path default_state_dir(const std::filesystem::path& home, std::string_view profile) {
  if (profile == "default") return home / ".clawdbot";
  return home / (std::string(".clawdbot-") + std::string(profile));
}

std::filesystem::path default_config_path(const std::filesystem::path& state_dir) {
  return state_dir / "clawdbot.json";
}

std::filesystem::path default_workspace(const std::filesystem::path& home, std::string_view profile,
                                        Role role) {
  std::string name = profile == "default" ? "clawd" : "clawd-" + std::string(profile);
  if (role == Role::rescue && !name.ends_with("-rescue")) name += "-rescue";
  return home / name;
}

}  // namespace moltbot
