#include "moltbot/gateway/launch_spec.h"

#include <system_error>

#include "moltbot/common/program_lookup.h"
#include "moltbot/config/child_environment.h"

namespace moltbot::gateway {

namespace fs = std::filesystem;

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
