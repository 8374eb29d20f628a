#include "moltbot/gateway/launch_spec.h"

#include <unistd.h>

#include <map>
#include <system_error>

#include "moltbot/config/child_environment.h"

namespace moltbot::gateway {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string, std::less<>> placeholder_values(const config::Profile& profile) {
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

bool is_executable_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

ExpandResult expand_placeholders(std::string_view argument, const config::Profile& profile) {
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
                     "{browser_control_port} {canvas_port})";
      return result;
    }
    result.text += value->second;
    i = close;
  }
  return result;
}

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

fs::path own_executable_dir() {
  static const fs::path dir = [] {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path();
  }();
  return dir;
}

LaunchSpecResult make_launch_spec(const config::Profile& profile, const Environment& supervisor_env) {
  LaunchSpecCache cache(profile, supervisor_env);
  auto launch = cache.next();
  if (auto* error = std::get_if<std::string>(&launch)) return {std::nullopt, std::move(*error)};
  return {*std::get<LaunchSpec*>(launch), std::nullopt};
}

LaunchSpecCache::LaunchSpecCache(const config::Profile& profile, const Environment& supervisor_env)
    : profile_(profile), supervisor_env_(supervisor_env) {}

void LaunchSpecCache::build_fixed_part() {
  built_ = true;
  if (profile_.command.empty()) {
    fixed_error_ = "command is empty";
    return;
  }
  for (std::size_t i = 0; i < profile_.command.size(); ++i) {
    ExpandResult expanded = expand_placeholders(profile_.command[i], profile_);
    if (expanded.error) {
      fixed_error_ =
          "command argument " + std::to_string(i + 1) + " \"" + profile_.command[i] + "\": " + *expanded.error;
      return;
    }
    spec_.argv.push_back(std::move(expanded.text));
  }
  command_ = spec_.argv[0];
  spec_.working_dir = profile_.state_dir;
}

std::variant<LaunchSpec*, std::string> LaunchSpecCache::next() {
  auto fail = [&](const std::string& message) { return "profile \"" + profile_.name + "\": " + message; };
  if (!built_) build_fixed_part();
  if (fixed_error_) return fail(*fixed_error_);

  config::ChildEnvironment child = config::child_environment(profile_, supervisor_env_);
  if (child.error) return fail(*child.error);
  spec_.env = std::move(child.env);

  if (command_.find('/') == std::string::npos) {
    auto program = resolve_program(command_, spec_.env, own_executable_dir());
    if (!program) {
      return fail("command \"" + command_ + "\" not found in PATH (" + lookup(spec_.env, "PATH").value_or("") +
                  ") nor next to " + own_executable_dir().string());
    }
    spec_.argv[0] = std::move(*program);
  }
  return &spec_;
}

}  // namespace moltbot::gateway
