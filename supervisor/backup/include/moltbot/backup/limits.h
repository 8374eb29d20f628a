#pragma once
// The bounds of a profile backup, enforced when an archive is written and, before anything is
// written, when one is restored (docs/backups.md, "Limits").
#include <cstddef>
#include <cstdint>

namespace moltbot::backup {

struct Limits {
  std::uint64_t max_entries = 100000;    // files and directories
  std::uint64_t max_bytes = 8ULL << 30;  // file contents, all entries together (8 GiB)
};

inline constexpr std::size_t max_path_bytes = 4096;  // an entry's path inside the archive
inline constexpr std::size_t max_depth = 64;          // directories on an entry's path

// Where a profile's files are inside an archive: the state dir under state/, a config file kept
// outside the state dir under config/ (for the operator: restore puts back the state dir only).
inline constexpr const char* state_member = "state";
inline constexpr const char* config_member = "config";

}  // namespace moltbot::backup
