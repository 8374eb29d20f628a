#pragma once
// A folder a gateway run as its own user keeps its state in.
#include <filesystem>
#include <optional>
#include <string>

#include "moltbot/common/account.h"

namespace moltbot {

// Creates `dir` owned by `owner` with mode 0700, or checks that an existing `dir` is a folder (not
// a symlink) owned by `owner`, and narrows its mode to 0700. Missing parents are created mode
// 0711, owned by the caller: the gateway may pass through them but neither list nor change them.
// An existing folder of another owner is an error naming both and the fix: its contents would be
// the other owner's too, which a chown of the folder alone would not change. Needs root unless
// `owner` is the caller.
std::optional<std::string> make_owned_directory(const std::filesystem::path& dir, const Account& owner);

}  // namespace moltbot
