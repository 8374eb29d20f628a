#pragma once
// "did you mean ...?" for misspelt keys and commands.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moltbot {

// Edit distance counting an adjacent swap ("prot" -> "port") as one edit, case-insensitively.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is close enough to be a plausible typo (one edit for
// short words, up to three for long ones); the first one on ties.
std::optional<std::string> closest_spelling(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace moltbot
