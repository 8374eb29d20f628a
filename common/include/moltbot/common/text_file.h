#pragma once
// Reading small configuration files whole, safely: a size limit checked before reading, no
// blocking on FIFOs or devices, and one plain reason when the file cannot be used.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace moltbot {

struct TextFile {
  std::optional<std::string> text;
  // Why there is no text: "no such file", "permission denied", "is a directory",
  // "is not a regular file", "is larger than 4 MiB (52428800 bytes)". Without the file name.
  std::string error;
};

// Reads the regular file at `path` if it has at most `max_bytes` bytes. Size and type are taken
// from the open descriptor, so a huge file is refused without reading it.
TextFile read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

// Why `text` is not UTF-8 text, or nullopt when it is: "NUL byte at line 3",
// "invalid UTF-8 at line 2".
std::optional<std::string> non_text_reason(std::string_view text);

// "4 MiB", "512 KiB", "100 bytes" for messages about limits.
std::string describe_size(std::size_t bytes);

}  // namespace moltbot
