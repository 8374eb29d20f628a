#include "env_file_mode.h"

#include <sys/stat.h>

#include <fmt/format.h>

namespace moltbot::config::loader {
namespace {

// "group and others", "others", "group": who besides the owner has any of `bits` (read or write).
std::string who(mode_t mode, mode_t group_bit, mode_t other_bit) {
  const bool group = mode & group_bit, others = mode & other_bit;
  if (group && others) return "group and others";
  return group ? "group" : "others";
}

}  // namespace

void check_env_file_mode(const std::string& path, const SourceLocation& where, const FieldReader& reader,
                         bool as_root) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return;
  const mode_t mode = info.st_mode & 07777;
  const bool readable = mode & (S_IRGRP | S_IROTH), writable = mode & (S_IWGRP | S_IWOTH);
  if (!readable && !writable) return;
  std::string problem;
  if (readable) problem = fmt::format("readable by {}", who(mode, S_IRGRP, S_IROTH));
  if (writable) problem += fmt::format("{}writable by {}", readable ? " and " : "", who(mode, S_IWGRP, S_IWOTH));
  const auto message =
      fmt::format("{} is {} (mode {:04o}, owner uid {}); it holds the gateway's secrets and environment: chmod 600 {}",
                  path, problem, mode, info.st_uid, path);
  if (as_root)
    reader.field_error("env-file-permissions", where, "env_file",
                       message + " (refused because the supervisor runs as root)");
  else
    reader.report(Severity::warning, "env-file-permissions", where,
                  fmt::format("field \"{}\": {}", reader.full_name("env_file"), message));
}

}  // namespace moltbot::config::loader
