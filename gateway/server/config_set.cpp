#include "config_set.h"

#include <cstdio>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <system_error>
#include <vector>

#include "atomic_file.h"
#include "exit_codes.h"
#include "gateway_config.h"
#include "moltbot/common/private_directories.h"
#include "moltbot/common/text_file.h"
#include "settings.h"

namespace moltbot::gateway {
namespace {

namespace fs = std::filesystem;
// Keeps the keys of the file in their order.
using Json = nlohmann::ordered_json;

constexpr std::size_t max_config_bytes = 4 * 1024 * 1024;

int fail(int status, const std::string& message) {
  fmt::print(stderr, "config set: {}\n", message);
  return status;
}

std::vector<std::string> split_dot_path(const std::string& path) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  for (;;) {
    auto dot = path.find('.', start);
    keys.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return keys;
    start = dot + 1;
  }
}

}  // namespace

int run_config_set(const CommandLine& command_line, const Environment& env) {
  const std::string& key = command_line.config_key;
  const std::vector<std::string> keys = split_dot_path(key);
  for (const auto& part : keys) {
    if (part.empty()) return fail(exit_code::usage, fmt::format("\"{}\" is not a dot path such as gateway.port", key));
  }
  Json value = Json::parse(command_line.config_value, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    if (command_line.strict_json) {
      return fail(exit_code::usage, fmt::format("VALUE \"{}\" is not JSON (--strict-json)", command_line.config_value));
    }
    value = command_line.config_value;
  }

  PathsResult paths = resolve_paths(command_line, env);
  if (!paths.paths) return fail(paths.exit_code, paths.error);
  const fs::path& config_path = paths.paths->config_path;

  Json root = Json::object();
  std::error_code ec;
  if (fs::exists(config_path, ec)) {
    TextFile file = read_small_file(config_path, max_config_bytes);
    if (!file.text) return fail(exit_code::failure, config_path.string() + ": " + file.error);
    root = Json::parse(*file.text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
    if (root.is_discarded()) return fail(exit_code::failure, config_path.string() + ": not valid JSON");
    if (!root.is_object()) return fail(exit_code::failure, config_path.string() + ": the top level must be an object");
  }

  Json* node = &root;
  std::string walked;
  for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
    walked += (walked.empty() ? "" : ".") + keys[i];
    Json& child = (*node)[keys[i]];
    if (child.is_null()) child = Json::object();
    if (!child.is_object()) {
      return fail(exit_code::failure,
                  fmt::format("{}: {} is a {}, not an object", config_path.string(), walked, child.type_name()));
    }
    node = &child;
  }
  (*node)[keys.back()] = std::move(value);

  const std::string text = root.dump(2) + "\n";
  ConfigPinsResult check = parse_config_pins(text, config_path);
  if (check.error) return fail(exit_code::failure, *check.error + " (nothing written)");
  if (auto error = moltbot::make_private_directories(config_path.parent_path())) return fail(exit_code::failure, *error);
  if (auto error = write_file_atomically(config_path, text)) return fail(exit_code::failure, *error);
  fmt::print("Updated {} in {}. Restart the gateway to apply it.\n", key, config_path.string());
  return exit_code::ok;
}

}  // namespace moltbot::gateway
