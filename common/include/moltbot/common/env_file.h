#pragma once
// Environment files (a profile's `env_file`, where secrets live): one NAME=VALUE per line.
//   # comment lines and blank lines are skipped
//   export NAME=value      ("export " is optional, as in shell snippets)
//   NAME = value           (whitespace around '=' and at both ends is dropped)
//   NAME='literal $value'  (single quotes: taken as is)
//   NAME="a \"b\"\n"       (double quotes: \" \\ \n \t \$ are escapes)
// Unquoted values run to the end of the line, '#' included, since tokens may contain it.
// No variable expansion and no multi-line values. A later line wins over an earlier one. A UTF-8
// byte order mark at the start is skipped.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "moltbot/common/environment.h"

namespace moltbot {

struct EnvFileEntry {
  std::string name;
  std::string value;
  int line = 0;
};

struct EnvFile {
  std::vector<EnvFileEntry> entries;  // in file order
  // "path:line: what is wrong", or "path: reason" when the file cannot be read at all.
  std::optional<std::string> error;

  Environment values() const;
};

// Env files are small; anything bigger is a mistake (a binary or a log picked by accident).
inline constexpr std::size_t max_env_file_bytes = 1024 * 1024;

EnvFile parse_env_file(std::string_view text, const std::string& file_name);
EnvFile read_env_file(const std::filesystem::path& path);

}  // namespace moltbot
