#pragma once
// How deep a manifest's flow collections ([ ] and { }) nest, read from the raw text before
// yaml-cpp sees it. yaml-cpp refuses deep nesting only when its parser gets there, but its
// scanner first queues every token of a run of "[[[[..." (each could still start a key): a
// manifest of 100,000 "[" took check to 33 MB, 4 MiB of them to 980 MB, before the refusal.
#include <optional>
#include <string_view>

#include "moltbot/config/diagnostic.h"

namespace moltbot::config::yaml {

// Deeper than any manifest needs (a profile's settings nest 4 deep), far below what costs memory.
inline constexpr int max_flow_depth = 100;

// A yaml-syntax error at the first "[" or "{" that opens a collection max_flow_depth + 1 deep, or
// nothing. Knows enough YAML to tell structure from text: a bracket opens a collection only
// where a node starts (after indentation, "- ", "? ", ": ", "[", "{", ",", a tag or an anchor);
// quoted scalars (over several lines too), comments, block scalars (| and >) and the further
// lines of a plain scalar are text. One pass, no allocation.
std::optional<Diagnostic> check_flow_depth(std::string_view text, const std::string& file);

}  // namespace moltbot::config::yaml
