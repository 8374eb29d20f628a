#include "moltbot/config/placeholders.h"

#include <map>

namespace moltbot::config {
namespace {

std::map<std::string, std::string, std::less<>> placeholder_values(const Profile& profile) {
  return {
      {"profile", profile.name},
      {"port", std::to_string(profile.ports.gateway)},
      {"state_dir", profile.state_dir},
      {"config_path", profile.config_path},
      {"workspace", profile.workspace},
      {"browser_control_port", std::to_string(profile.ports.browser_control)},
      {"canvas_port", std::to_string(profile.ports.canvas)},
  };
}

}  // namespace

ExpandResult expand_placeholders(std::string_view argument, const Profile& profile) {
  const auto values = placeholder_values(profile);
  ExpandResult result;
  for (std::size_t i = 0; i < argument.size(); ++i) {
    char c = argument[i];
    if (c == '}') {
      if (i + 1 < argument.size() && argument[i + 1] == '}') {
        result.text += '}';
        ++i;
        continue;
      }
      result.error = "stray '}' (write '}}' for a literal brace)";
      return result;
    }
    if (c != '{') {
      result.text += c;
      continue;
    }
    if (i + 1 < argument.size() && argument[i + 1] == '{') {
      result.text += '{';
      ++i;
      continue;
    }
    auto close = argument.find('}', i);
    if (close == std::string_view::npos) {
      result.error = "unclosed '{' (write '{{' for a literal brace)";
      return result;
    }
    std::string_view name = argument.substr(i + 1, close - i - 1);
    auto value = values.find(name);
    if (value == values.end()) {
      result.error = "unknown placeholder {" + std::string(name) +
                     "} (known: {profile} {port} {state_dir} {config_path} {workspace} "
                     "{browser_control_port} {canvas_port}; write '{{' for a literal brace)";
      return result;
    }
    result.text += value->second;
    i = close;
  }
  return result;
}

}  // namespace moltbot::config
