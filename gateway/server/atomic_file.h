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

}  // namespace moltbot::gateway
