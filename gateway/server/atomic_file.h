#pragma once
// Whole-file replacement that a kill -9 at any moment cannot tear: readers see the old content or
// the new, never a mix or an empty file.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace moltbot::gateway {

// Writes `<path>.tmp`, fsyncs it and renames it over `path`. The caller must be
// the only writer of `path` (the instance lock guarantees that for the state file). Returns an
// error message naming the file, or nothing on success.
std::optional<std::string> write_file_atomically(const std::filesystem::path& path, std::string_view content);

// Creates `dir` and any missing parents with mode 0700; existing folders are left as they are.
std::optional<std::string> make_private_directories(const std::filesystem::path& dir);

}  // namespace moltbot::gateway
