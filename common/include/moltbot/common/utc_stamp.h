#pragma once
// The current time in UTC as a name part that sorts as it was taken: 20261205T123456Z, or with
// milliseconds 20261205T123456.789Z (backup archives, restore folders, database copies).
#include <string>

namespace moltbot {

std::string utc_stamp(bool milliseconds = false);

}  // namespace moltbot
