#pragma once
// The small files a supervisor keeps in a profile's state dir for the next holder of the profile's
// lock (leftover_record.h, child_record.h). Opened relative to the state dir and never through a
// symlink (O_NOFOLLOW), mode 0600; replaced atomically: written to NAME.tmp, fsynced and renamed
// over NAME, so a kill at any moment leaves the old record or the whole new one.
#include <optional>
#include <string>
#include <string_view>

namespace moltbot::runtime {

// Longer records are not ours: reading refuses them.
inline constexpr std::size_t max_state_record = 1 << 20;

// Replaces the record `name` in `state_dir` with `text`: nothing, or why it could not ("cannot
// write STATE_DIR/NAME: No space left on device").
std::optional<std::string> write_state_record(const std::string& state_dir, std::string_view name,
                                              std::string_view text);

// The record's text; nullopt when there is none or it cannot be read (a symlink, not a regular
// file, larger than max_state_record).
std::optional<std::string> read_state_record(const std::string& state_dir, std::string_view name);

// Removes the record (none is no error).
void remove_state_record(const std::string& state_dir, std::string_view name);

}  // namespace moltbot::runtime
