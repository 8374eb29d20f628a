#pragma once
// Turns a resolved profile into exactly what is exec'd: argv with placeholders expanded, the
// child environment, the working directory and the account it runs as. Shared by the supervisor and its tests.
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/config/child_environment.h"
#include "moltbot/config/manifest.h"
#include "moltbot/config/placeholders.h"

namespace moltbot::gateway {

struct LaunchSpec {
  std::vector<std::string> argv;  // argv[0] resolved through PATH when it has no '/'
  Environment env;
  std::string working_dir;        // the profile's state dir
  // The account the child drops to (config::switched_account); nullptr: it runs as the supervisor.
  const Account* run_as = nullptr;
  // What must reach no log, event or status (the caller hands them to the profile's log before
  // it writes the command line): the child environment's secrets (config::ChildEnvironment) and
  // the command's own (command_line_secrets). Unordered, may repeat.
  std::vector<std::string> secrets;
};

struct LaunchSpecResult {
  std::optional<LaunchSpec> spec;
  std::optional<std::string> error;  // unknown placeholder, empty command, env_file problem...
};

// Placeholders: {profile} {port} {state_dir} {config_path} {workspace} {browser_control_port}
// {canvas_port}. `{{` and `}}` stand for literal braces.
LaunchSpecResult make_launch_spec(const config::Profile& profile, const Environment& supervisor_env,
                                  config::RestartMode mode = config::RestartMode::in_process);

// make_launch_spec for the repeated starts of one profile entry (an entry never changes: a reload
// that changes it makes a new cache). argv and the working dir follow from the entry alone and are
// built at the first start. The environment is built at every start and handed to the caller:
// env_file is read again (a rotated secret counts from the next start), and keeping a copy for
// each of hundreds of profiles would cost more memory than the rest of a profile. A command
// without '/' is looked up in PATH again.
class LaunchSpecCache {
 public:
  // Both must outlive the cache.
  LaunchSpecCache(const config::Profile& profile, const Environment& supervisor_env);

  // What make_launch_spec returns now: the spec, valid until the next call (its environment and
  // secrets are the caller's to take), or the error.
  std::variant<LaunchSpec*, std::string> next(config::RestartMode mode);

 private:
  void build_fixed_part();

  const config::Profile& profile_;
  const Environment& supervisor_env_;
  bool built_ = false;
  std::optional<std::string> fixed_error_;  // empty command, bad placeholder: every start fails alike
  std::string command_;                     // argv[0] as written, before any PATH lookup
  std::vector<std::string> command_secrets_;
  LaunchSpec spec_;
};

// The parts of make_launch_spec, for tests and for callers that need only one of them.

// Expands the placeholders of one command argument with the profile's values. It lives in config,
// which also expands `cli` for its diagnostics.
using config::expand_placeholders;
using config::ExpandResult;

// Every argument expanded, or an error naming the first bad one: `argument 2 "{prot}": unknown ...`.
std::variant<std::vector<std::string>, std::string> expand_arguments(const std::vector<std::string>& arguments,
                                                                     const config::Profile& profile);

// The values of --token and --password in an expanded command, in both forms: `--token VALUE`
// and `--token=VALUE`.
std::vector<std::string> command_line_secrets(const std::vector<std::string>& argv);

// The folder of the running executable (/proc/self/exe), where moltbot-gateway sits next to the
// supervisor in a build tree or an install prefix. Read once: the running program cannot change.
std::filesystem::path own_executable_dir();

}  // namespace moltbot::gateway
