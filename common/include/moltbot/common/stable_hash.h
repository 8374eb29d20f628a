#pragma once
// A hash that stays the same across runs, builds and machines (std::hash promises none of that):
// for names and records that a later process, possibly a newer build, compares.
#include <cstdint>
#include <string_view>

namespace moltbot {

// FNV-1a, 64 bits. Feeding text in pieces gives the hash of the pieces joined: pass the result
// of one call as `hash` to the next.
inline constexpr std::uint64_t fnv1a_64_offset = 14695981039346656037ull;
std::uint64_t fnv1a_64(std::string_view text, std::uint64_t hash = fnv1a_64_offset);

}  // namespace moltbot
