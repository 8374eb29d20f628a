#include "gateway_config.h"

#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <iterator>
#include <string_view>
#include <system_error>

namespace moltbot::gateway {
namespace {

using nlohmann::json;

// The value at a dotted path, or nullptr when any step is missing.
const json* find_path(const json& root, std::initializer_list<std::string_view> path) {
  const json* node = &root;
  for (std::string_view key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

std::string dotted(std::initializer_list<std::string_view> path) {
  std::string text;
  for (std::string_view key : path) {
    if (!text.empty()) text += '.';
    text += key;
  }
  return text;
}

}  // namespace

ConfigPinsResult read_config_pins(const std::filesystem::path& config_path) {
  ConfigPinsResult result;
  std::error_code ec;
  if (!std::filesystem::exists(config_path, ec)) return result;
  result.file_exists = true;

  std::ifstream in(config_path, std::ios::binary);
  std::string text;
  if (in.is_open()) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) {
    result.error = config_path.string() + ": cannot read the config file";
    return result;
  }
  result = parse_config_pins(text, config_path);
  result.file_exists = true;
  return result;
}

ConfigPinsResult parse_config_pins(std::string_view text, const std::filesystem::path& config_path) {
  ConfigPinsResult result;
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (root.is_discarded()) {
    result.error = config_path.string() + ": not valid JSON";
    return result;
  }
  if (!root.is_object()) {
    result.error = config_path.string() + ": the top level must be an object";
    return result;
  }

  auto read_port = [&](std::initializer_list<std::string_view> path, std::optional<int>& out) {
    const json* node = find_path(root, path);
    if (!node || result.error) return;
    if (!node->is_number_integer() || node->get<long long>() < 1 || node->get<long long>() > 65535) {
      result.error = config_path.string() + ": " + dotted(path) + " must be a port number (1..65535)";
      return;
    }
    out = node->get<int>();
  };
  read_port({"gateway", "port"}, result.pins.gateway_port);
  read_port({"browser", "controlPort"}, result.pins.browser_control_port);
  read_port({"canvasHost", "port"}, result.pins.canvas_port);
  read_port({"browser", "cdpPortRangeStart"}, result.pins.cdp_range_start);

  if (const json* workspace = find_path(root, {"agents", "defaults", "workspace"}); workspace && !result.error) {
    if (!workspace->is_string() || workspace->get<std::string>().empty()) {
      result.error = config_path.string() + ": agents.defaults.workspace must be a non-empty string";
    } else {
      result.pins.workspace = workspace->get<std::string>();
    }
  }
  return result;
}

}  // namespace moltbot::gateway
