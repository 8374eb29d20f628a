#pragma once
// Folders only their owner may enter: a gateway's state dir holds its tokens and config.
#include <filesystem>
#include <optional>
#include <string>

namespace moltbot {

// Creates `dir` and any missing parents with mode 0700; existing folders are left as they are.
// Returns an error message naming the folder, or nothing when `dir` is a folder afterwards.
std::optional<std::string> make_private_directories(const std::filesystem::path& dir);

}  // namespace moltbot
