#include "moltbot/metrics/fleet_metrics.h"

#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <functional>
#include <vector>

#include "moltbot/metrics/metrics_text.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/resource_usage.h"

namespace moltbot::metrics {

namespace {

using runtime::ProfileStatus;
using runtime::State;

constexpr std::array all_states{State::stopped, State::starting, State::running, State::unhealthy,
                                State::backoff, State::stopping, State::fatal};

const char* role_name(const ProfileStatus& status) { return status.role == Role::rescue ? "rescue" : "main"; }

bool up(const ProfileStatus& status) { return status.state == State::running || status.state == State::unhealthy; }

double seconds_since_epoch(std::chrono::system_clock::time_point at) {
  return std::chrono::duration<double>(at.time_since_epoch()).count();
}

// The exit code of the last exit; 128 + N for a death by signal N, as a shell reports it.
std::optional<int> last_exit_code(const ProfileStatus& status) {
  if (!status.last_exit || !status.last_exit->status || !status.last_exit->status->known) return std::nullopt;
  const auto& exit = *status.last_exit->status;
  return exit.signal != 0 ? 128 + exit.signal : exit.code;
}

class ProfileFamilies {
 public:
  ProfileFamilies(MetricsText& text, const std::vector<ProfileStatus>& statuses) : text_(text), statuses_(statuses) {}

  // One family with one sample per profile for which `value` gives one.
  void add(std::string_view name, std::string_view type, std::string_view help,
           const std::function<std::optional<double>(const ProfileStatus&)>& value) {
    text_.family(name, type, help);
    for (const auto& status : statuses_)
      if (auto figure = value(status))
        text_.sample(name, {{"profile", status.name}, {"role", role_name(status)}}, *figure);
  }

 private:
  MetricsText& text_;
  const std::vector<ProfileStatus>& statuses_;
};

void add_profiles(MetricsText& text, runtime::Fleet& fleet, const std::vector<ProfileStatus>& statuses) {
  const auto now = std::chrono::system_clock::now();
  ProfileFamilies families(text, statuses);
  families.add("moltbot_profile_up", "gauge", "Whether the profile's gateway runs (state running or unhealthy).",
               [](const ProfileStatus& status) { return up(status) ? 1.0 : 0.0; });
  text.family("moltbot_profile_state", "gauge", "The profile's state: 1 for the current one, 0 for the others.");
  for (const auto& status : statuses)
    for (State state : all_states)
      text.sample("moltbot_profile_state",
                  {{"profile", status.name}, {"role", role_name(status)}, {"state", runtime::to_string(state)}},
                  status.state == state ? 1 : 0);
  families.add("moltbot_profile_restarts_total", "counter",
               "Restarts after failures and by operators since the supervisor started or the last reset.",
               [](const ProfileStatus& status) { return status.restarts; });
  families.add("moltbot_profile_planned_restarts_total", "counter",
               "Restarts the gateway asked for itself with a restart handoff (no failures).",
               [](const ProfileStatus& status) { return status.planned_restarts; });
  families.add("moltbot_profile_last_exit_code", "gauge",
               "Exit status of the gateway's last exit (128 + N for signal N); absent before the first.",
               [](const ProfileStatus& status) -> std::optional<double> {
                 if (auto code = last_exit_code(status)) return *code;
                 return std::nullopt;
               });
  families.add("moltbot_profile_start_time_seconds", "gauge",
               "When the running gateway started, in seconds since the epoch; absent when none runs.",
               [&](const ProfileStatus& status) -> std::optional<double> {
                 if (!status.uptime || status.pid == 0) return std::nullopt;
                 return seconds_since_epoch(now - *status.uptime);
               });
  families.add("moltbot_profile_ready", "gauge",
               "Whether the gateway runs and is ready (health.ready_path answers, or readiness is not checked).",
               [](const ProfileStatus& status) {
                 return up(status) && (status.readiness == "ready" || status.readiness == "not checked") ? 1.0 : 0.0;
               });

  const std::string_view histogram = "moltbot_profile_health_probe_duration_seconds";
  text.family(histogram, "histogram", "How long the gateway's health probes took (inconclusive ones left out).");
  for (const auto& status : statuses) {
    const auto* durations = fleet.probe_durations(status.name);
    if (!durations) continue;
    const std::string_view role = role_name(status);
    for (std::size_t i = 0; i < durations->bounds.size(); ++i)
      text.sample("moltbot_profile_health_probe_duration_seconds_bucket",
                  {{"profile", status.name}, {"role", role}, {"le", fmt::format("{}", durations->bounds[i])}},
                  static_cast<double>(durations->at_most[i]));
    text.sample("moltbot_profile_health_probe_duration_seconds_bucket",
                {{"profile", status.name}, {"role", role}, {"le", "+Inf"}}, static_cast<double>(durations->count));
    text.sample("moltbot_profile_health_probe_duration_seconds_sum", {{"profile", status.name}, {"role", role}},
                durations->sum);
    text.sample("moltbot_profile_health_probe_duration_seconds_count", {{"profile", status.name}, {"role", role}},
                static_cast<double>(durations->count));
  }

  auto usage = [](const ProfileStatus& status) { return status.resources->usage; };
  families.add("moltbot_profile_resident_memory_bytes", "gauge",
               "Resident memory of the gateway and every process tracked with it (its cgroup's memory.current where "
               "it has one).",
               [&](const ProfileStatus& status) { return static_cast<double>(usage(status).rss_bytes); });
  families.add("moltbot_profile_cpu_seconds_total", "counter",
               "CPU time of the gateway and every process tracked with it.",
               [&](const ProfileStatus& status) { return usage(status).cpu_seconds; });
  families.add("moltbot_profile_processes", "gauge", "Processes of the profile: the gateway and its helpers.",
               [&](const ProfileStatus& status) { return usage(status).processes; });
  families.add("moltbot_profile_open_fds", "gauge", "Open descriptors of the profile's processes.",
               [&](const ProfileStatus& status) { return usage(status).fds; });
  families.add("moltbot_profile_oom_kills_total", "counter",
               "Processes of the profile the kernel's OOM killer ended (its cgroup's memory.events oom_kill); "
               "absent without the memory controller.",
               [&](const ProfileStatus& status) -> std::optional<double> {
                 if (auto kills = usage(status).oom_kills) return static_cast<double>(*kills);
                 return std::nullopt;
               });
}

void add_supervisor(MetricsText& text, const SupervisorCounters& counters, std::size_t profiles) {
  text.family("moltbot_supervisor_resident_memory_bytes", "gauge", "Resident memory of the supervisor itself.");
  const auto own = runtime::usage_of_processes({::getpid()});
  text.sample("moltbot_supervisor_resident_memory_bytes", {}, static_cast<double>(own.rss_bytes));
  text.family("moltbot_supervisor_cpu_seconds_total", "counter", "CPU time of the supervisor itself.");
  text.sample("moltbot_supervisor_cpu_seconds_total", {}, own.cpu_seconds);
  text.family("moltbot_supervisor_open_fds", "gauge", "Open descriptors of the supervisor itself.");
  text.sample("moltbot_supervisor_open_fds", {}, own.fds);
  text.family("moltbot_supervisor_start_time_seconds", "gauge",
              "When the supervisor started, in seconds since the epoch.");
  text.sample("moltbot_supervisor_start_time_seconds", {}, seconds_since_epoch(counters.started));
  text.family("moltbot_supervisor_profiles", "gauge", "Profiles in the fleet.");
  text.sample("moltbot_supervisor_profiles", {}, static_cast<double>(profiles));
  text.family("moltbot_supervisor_reloads_total", "counter",
              "Manifest reloads (SIGHUP or the reload command) by result: applied, unreadable, invalid, refused, "
              "shutting_down.");
  for (const auto& [result, count] : counters.reloads)
    text.sample("moltbot_supervisor_reloads_total", {{"result", result}}, static_cast<double>(count));
  text.family("moltbot_supervisor_control_requests_total", "counter", "Control socket requests by command.");
  if (counters.control_requests)
    for (const auto& [command, count] : counters.control_requests())
      text.sample("moltbot_supervisor_control_requests_total", {{"command", command}}, static_cast<double>(count));
}

}  // namespace

std::string render_fleet_metrics(runtime::Fleet& fleet, const SupervisorCounters& counters) {
  auto statuses = fleet.status();
  fleet.measure(statuses);
  MetricsText text;
  add_profiles(text, fleet, statuses);
  add_supervisor(text, counters, statuses.size());
  return text.take();
}

}  // namespace moltbot::metrics
