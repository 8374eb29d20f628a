#pragma once
// How figures of a profile's status are shown to a person, the same in `status` and `top`.
#include <nlohmann/json.hpp>
#include <string>

namespace moltbot::ctl {

// "42s", "3m07s", "5h12m"; "-" when nothing runs.
std::string uptime_text(const nlohmann::json& seconds);
// Failures and operator restarts; the restarts a gateway planned itself are not failures.
std::string restarts_text(const nlohmann::json& profile);
// resources.rss_bytes as "712M", "1.4G", "980K"; "-" when not measured.
std::string memory_text(const nlohmann::json& profile);
// resources.cpu_percent as "3.2"; "-" when not measured or nothing runs.
std::string cpu_text(const nlohmann::json& profile);
// resources.processes; "-" when not measured.
std::string processes_text(const nlohmann::json& profile);

}  // namespace moltbot::ctl
