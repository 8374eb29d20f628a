#pragma once
// What the kernel takes in one execve (fs/exec.c): each argument and each NAME=VALUE string at
// most MAX_ARG_STRLEN (128 KiB, its NUL included), and all of them, with a pointer each and the
// program's path, within a quarter of the stack limit (at most 6 MiB, at least 128 KiB). A
// profile over either fails every start with E2BIG and ends `fatal`; `check` says so first.
#include <cstddef>

#include "field_reader.h"
#include "moltbot/common/environment.h"
#include "moltbot/config/manifest.h"

namespace moltbot::config::loader {

inline constexpr std::size_t max_arg_strlen = 128 * 1024;

// The kernel's bound on the whole: sysconf(_SC_ARG_MAX), which glibc derives from the stack
// limit as the kernel does, within the kernel's own floor and cap.
std::size_t exec_size_limit();

// exec-too-large for each argument of `command` and each variable of the child's environment
// (built as at a start: `supervisor_env` is the supervisor's) over max_arg_strlen, naming where it
// comes from (command, env.NAME, env_file file:line, the supervisor's environment) and never its
// value; and once when all of them together exceed exec_size_limit().
void check_exec_size(const Profile& profile, const Environment& supervisor_env, const FieldReader& reader);

}  // namespace moltbot::config::loader
