#pragma once
// A memory size as the manifest writes it (limits.memory): bytes, or a number with K, M, G or T
// (powers of 1024, an optional "i" and "B": 512M, 1.5G, 2GiB).
#include <cstdint>
#include <optional>
#include <string_view>

namespace moltbot::config {

// nullopt when `text` is no such size, or not a whole number of bytes below 2^62.
std::optional<std::uint64_t> parse_memory_size(std::string_view text);

}  // namespace moltbot::config
