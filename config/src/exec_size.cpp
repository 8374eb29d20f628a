#include "exec_size.h"

#include <unistd.h>

#include <algorithm>
#include <fmt/format.h>
#include <map>

#include "moltbot/common/env_file.h"
#include "moltbot/config/child_environment.h"
#include "moltbot/config/placeholders.h"

namespace moltbot::config::loader {
namespace {

constexpr std::size_t kernel_floor = 128 * 1024;     // ARG_MAX in the kernel's headers
constexpr std::size_t kernel_cap = 6 * 1024 * 1024;  // 3/4 of _STK_LIM

std::string too_long(std::size_t bytes) {
  return fmt::format("is {} bytes; the kernel takes at most {} per string (MAX_ARG_STRLEN), so every start would "
                     "fail with E2BIG",
                     bytes, max_arg_strlen);
}

}  // namespace

std::size_t exec_size_limit() {
  const long arg_max = ::sysconf(_SC_ARG_MAX);
  return std::clamp(arg_max < 0 ? kernel_floor : static_cast<std::size_t>(arg_max), kernel_floor, kernel_cap);
}

void check_exec_size(const Profile& profile, const Environment& supervisor_env, const FieldReader& reader) {
  // The larger of the two restart modes' environments (external sets two variables, not one).
  const ChildEnvironment child = child_environment(profile, supervisor_env, RestartMode::external);
  if (child.error) return;  // env-file-unreadable says why

  std::size_t total = 0, strings = 0;
  for (std::size_t i = 0; i < profile.command.size(); ++i) {
    const ExpandResult expanded = expand_placeholders(profile.command[i], profile);
    const std::size_t bytes = (expanded.error ? profile.command[i] : expanded.text).size() + 1;
    if (bytes > max_arg_strlen)
      reader.field_error("exec-too-large", profile.location_of("command"), "command",
                         fmt::format("argument {} {}", i + 1, too_long(bytes)));
    total += bytes + (i == 0 ? bytes : 0);  // the kernel copies the program's path too
    ++strings;
  }

  std::map<std::string, int> file_lines;  // the line that sets each name (the last one counts)
  if (profile.env_file)
    for (const EnvFileEntry& entry : read_env_file(*profile.env_file).entries) file_lines[entry.name] = entry.line;
  for (const auto& [name, value] : child.env) {
    const std::size_t bytes = name.size() + 1 + value.size() + 1;
    total += bytes;
    ++strings;
    if (bytes <= max_arg_strlen) continue;
    const std::string what = fmt::format("{} {}", name, too_long(bytes));
    if (profile.env.count(name)) {
      reader.field_error("exec-too-large", profile.location_of("env." + name), "env." + name, too_long(bytes));
    } else if (auto line = file_lines.find(name); line != file_lines.end()) {
      reader.field_error("exec-too-large", profile.location_of("env_file"), "env_file",
                         fmt::format("{}:{}: {}", *profile.env_file, line->second, what));
    } else {
      reader.error("exec-too-large", profile.where,
                   fmt::format("the supervisor's environment variable {}, which the gateway inherits, {}", name,
                               too_long(bytes)));
    }
  }

  total += strings * sizeof(void*);
  if (total > exec_size_limit())
    reader.error("exec-too-large", profile.where,
                 fmt::format("the command and environment take {} bytes; the kernel takes at most {} in one start "
                             "(a quarter of the stack limit, ARG_MAX), so every start would fail with E2BIG",
                             total, exec_size_limit()));
}

}  // namespace moltbot::config::loader
