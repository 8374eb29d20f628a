#pragma once
// What `moltbot-supervisorctl top` shows of a fleet's status: one row per profile (profile, role,
// state, readiness, uptime, restarts, CPU%, MEM, processes, health), sorted by a key. Pure: no
// terminal, no socket.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace moltbot::ctl {

enum class TopSort { cpu, memory, name, restarts, state, uptime };

// The key a person presses for a sort order ('c', 'm', 'n', 'r', 's', 'u'), or nullopt.
std::optional<TopSort> sort_for_key(char key);
// "cpu", "mem", ... for --sort, or nullopt.
std::optional<TopSort> sort_for_name(std::string_view name);
const char* sort_name(TopSort sort);

// The table of `profiles` (status --json's data) sorted by `sort`, each line cut at `width`
// columns (0: not cut); with `colour`, states in colour as `status` shows them.
std::string top_table(const nlohmann::json& profiles, TopSort sort, int width, bool colour);
// The line above it: how many profiles run, the supervisor's figures, the keys.
std::string top_header(const nlohmann::json& profiles, TopSort sort, int width);

}  // namespace moltbot::ctl
