#include "moltbot/common/program_lookup.h"

#include <unistd.h>

#include <string_view>
#include <system_error>

namespace moltbot {
namespace {

namespace fs = std::filesystem;

bool is_executable_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<std::string> resolve_program(const std::string& name, const Environment& env,
                                           const fs::path& fallback_dir) {
  if (name.find('/') != std::string::npos) return name;
  const std::string search_path = lookup(env, "PATH").value_or("");
  std::string_view path = search_path;
  while (!path.empty()) {
    auto colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
    // An empty entry would mean the working directory, which is the state dir: never look there.
    if (dir.empty()) continue;
    fs::path candidate = fs::path(dir) / name;
    if (is_executable_file(candidate)) return candidate.string();
  }
  if (!fallback_dir.empty() && is_executable_file(fallback_dir / name)) return (fallback_dir / name).string();
  return std::nullopt;
}

}  // namespace moltbot
