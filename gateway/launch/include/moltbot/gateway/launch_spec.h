#pragma once
// Turns a resolved profile into exactly what is exec'd: argv with placeholders expanded, the
// child environment, and the working directory. Shared by the supervisor and its tests.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/config/manifest.h"

namespace moltbot::gateway {

struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0] resolved through PATH when it has no '/'
  Environment env;
  std::string working_dir;        // the profile's state dir
};

struct LaunchSpecResult {
  std::optional<LaunchSpec> spec;
  std::optional<std::string> error;  // unknown placeholder, empty command, env_file problem...
};

// Placeholders: {profile} {port} {state_dir} {config_path} {workspace} {browser_control_port}
// {canvas_port}. `{{` and `}}` stand for literal braces.
LaunchSpecResult make_launch_spec(const config::Profile& profile, const Environment& supervisor_env);

// The parts of make_launch_spec, for tests and for callers that need only one of them.

struct ExpandResult {
  std::string text;
  std::optional<std::string> error;  // names the placeholder or the stray brace
};

// Expands the placeholders of one command argument with the profile's values.
ExpandResult expand_placeholders(std::string_view argument, const config::Profile& profile);

// `name` as given when it contains '/'; otherwise the first executable regular file called `name`
// in the directories of env's PATH, then in `fallback_dir`. Nothing when not found.
std::optional<std::string> resolve_program(const std::string& name, const Environment& env,
                                           const std::filesystem::path& fallback_dir);

// The folder of the running executable (/proc/self/exe), where moltbot-gateway sits next to the
// supervisor in a build tree or an install prefix.
std::filesystem::path own_executable_dir();

}  // namespace moltbot::gateway
