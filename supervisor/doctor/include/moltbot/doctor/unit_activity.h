#pragma once
// What the running systemd says about units: asked through `systemctl list-units`, never
// required. Without systemd (containers, chroots) or a systemctl that does not answer in time,
// the answer is "unknown" rather than a guess.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moltbot::doctor {

enum class UnitScope { system, user };

// Unit name -> its active state ("active", "inactive", "failed", "activating", ...), for every
// unit the manager of `scope` knows that matches one of `patterns` (shell globs). Nothing when
// systemd is not running or systemctl fails.
std::optional<std::map<std::string, std::string>> query_active_states(UnitScope scope,
                                                                       const std::vector<std::string>& patterns);

// Parses `systemctl list-units --all --plain --no-legend --full` output: "UNIT LOAD ACTIVE SUB ...".
std::map<std::string, std::string> parse_list_units(std::string_view text);

}  // namespace moltbot::doctor
