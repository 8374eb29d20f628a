#include "moltbot/gateway/launch_spec.h"

#include <array>
#include <system_error>

#include "moltbot/common/program_lookup.h"
#include "moltbot/config/child_environment.h"
#include "moltbot/config/run_as.h"

namespace moltbot::gateway {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 2> secret_options{"--token", "--password"};

// The secret argument `i` of a command holds: all of it after `--token`, what follows '=' in
// `--token=VALUE`.
std::optional<std::string_view> secret_in_argument(const std::vector<std::string>& command, std::size_t i) {
  const std::string_view argument = command[i];
  for (auto option : secret_options) {
    if (i > 0 && command[i - 1] == option) return argument;
    if (argument.starts_with(option) && argument.size() > option.size() && argument[option.size()] == '=')
      return argument.substr(option.size() + 1);
  }
  return std::nullopt;
}

}  // namespace

std::variant<std::vector<std::string>, std::string> expand_arguments(const std::vector<std::string>& arguments,
                                                                     const config::Profile& profile) {
  std::vector<std::string> expanded;
  expanded.reserve(arguments.size());
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    ExpandResult argument = expand_placeholders(arguments[i], profile);
    if (argument.error) {
      // The argument is quoted to find it, unless it is a secret: this error goes to the logs.
      const std::string quoted = secret_in_argument(arguments, i) ? "(a secret)" : "\"" + arguments[i] + "\"";
      return "argument " + std::to_string(i + 1) + " " + quoted + ": " + *argument.error;
    }
    expanded.push_back(std::move(argument.text));
  }
  return expanded;
}

std::vector<std::string> command_line_secrets(const std::vector<std::string>& argv) {
  std::vector<std::string> secrets;
  for (std::size_t i = 0; i < argv.size(); ++i)
    if (auto secret = secret_in_argument(argv, i)) secrets.emplace_back(*secret);
  return secrets;
}

fs::path own_executable_dir() {
  static const fs::path dir = [] {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path();
  }();
  return dir;
}

LaunchSpecResult make_launch_spec(const config::Profile& profile, const Environment& supervisor_env,
                                  config::RestartMode mode) {
  LaunchSpecCache cache(profile, supervisor_env);
  auto launch = cache.next(mode);
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
  auto argv = expand_arguments(profile_.command, profile_);
  if (auto* error = std::get_if<std::string>(&argv)) {
    fixed_error_ = "command " + *error;
    return;
  }
  spec_.argv = std::move(std::get<std::vector<std::string>>(argv));
  command_ = spec_.argv[0];
  command_secrets_ = command_line_secrets(spec_.argv);
  spec_.working_dir = profile_.state_dir;
  spec_.run_as = config::switched_account(profile_);
}

std::variant<LaunchSpec*, std::string> LaunchSpecCache::next(config::RestartMode mode) {
  auto fail = [&](const std::string& message) { return "profile \"" + profile_.name + "\": " + message; };
  if (!built_) build_fixed_part();
  if (fixed_error_) return fail(*fixed_error_);

  config::ChildEnvironment child = config::child_environment(profile_, supervisor_env_, mode);
  if (child.error) return fail(*child.error);
  spec_.env = std::move(child.env);
  spec_.secrets = std::move(child.secrets);
  spec_.secrets.insert(spec_.secrets.end(), command_secrets_.begin(), command_secrets_.end());

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
