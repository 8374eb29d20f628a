// entry_hash: a profile's entry as canonical JSON (keys sorted, no source locations), hashed.
#include <nlohmann/json.hpp>

#include "moltbot/common/stable_hash.h"
#include "moltbot/config/manifest_diff.h"

namespace moltbot::config {

namespace {

using nlohmann::json;

json range(const PortRange& range) { return {range.first, range.last}; }

template <class Value>
json optional(const std::optional<Value>& value) {
  return value ? json(*value) : json(nullptr);
}

json ports(const ProfilePorts& ports) {
  json uses = json::array();
  for (const auto& use : ports.uses)
    uses.push_back({{"name", use.name}, {"range", range(use.range)}, {"fell_back", use.fell_back},
                    {"derived", range(use.derived)}});
  return {{"gateway", ports.gateway},
          {"bridge", ports.bridge},
          {"browser_control", ports.browser_control},
          {"extension_relay", ports.extension_relay},
          {"canvas", ports.canvas},
          {"cdp", {ports.cdp_start, ports.cdp_end}},
          {"uses", uses}};
}

json pinned(const PinnedPorts& pinned) {
  return {{"browser_control", optional(pinned.browser_control)},
          {"canvas", optional(pinned.canvas)},
          {"cdp_range", pinned.cdp_range ? range(*pinned.cdp_range) : json(nullptr)}};
}

json restart(const RestartSpec& restart) {
  return {{"policy", static_cast<int>(restart.policy)},
          {"backoff", {restart.backoff.initial.count(), restart.backoff.max.count(), restart.backoff.factor}},
          {"reset_after", restart.reset_after.count()},
          {"max_restarts", restart.max_restarts},
          {"window", restart.window.count()},
          {"no_restart_exit_codes", restart.no_restart_exit_codes}};
}

json health(const HealthSpec& health) {
  return {{"type", static_cast<int>(health.type)},
          {"path", health.path},
          {"command", health.command},
          {"interval", health.interval.count()},
          {"timeout", health.timeout.count()},
          {"failures", health.failures},
          {"start_period", health.start_period.count()},
          {"start_interval", health.start_interval.count()},
          {"ready_path", optional(health.ready_path)},
          {"startup_path", optional(health.startup_path)}};
}

json entry(const Profile& profile) {
  json browser_profiles = json::array();
  for (const auto& browser : profile.browser_profiles)
    browser_profiles.push_back(
        {{"name", browser.name}, {"cdp_port", optional(browser.cdp_port)}, {"cdp_url", optional(browser.cdp_url)}});
  json credentials = json::array();
  for (const auto& credential : profile.credentials)
    credentials.push_back({{"channel", credential.channel},
                           {"account", credential.account},
                           {"field", credential.field},
                           {"value", credential.value}});
  json fields = {{"name", profile.name},
          {"role", static_cast<int>(profile.role)},
          {"layout", static_cast<int>(profile.layout)},
          {"config_path", profile.config_path},
          {"state_dir", profile.state_dir},
          {"workspace", profile.workspace},
          {"ports", ports(profile.ports)},
          {"pinned_ports", pinned(profile.pinned_ports)},
          {"browser_profiles", browser_profiles},
          {"cdp_urls", profile.cdp_urls},
          {"command", profile.command},
          {"cli", profile.cli},
          {"env", profile.env},
          {"env_file", optional(profile.env_file)},
          {"autostart", profile.autostart},
          {"restart", restart(profile.restart)},
          {"health", health(profile.health)},
          {"stop", {profile.stop.signal, profile.stop.timeout.count()}},
          {"credentials", credentials}};
  // Only when set: the hash of an entry without `user` stays what it was before the key existed,
  // so a supervisor upgraded in place still adopts its children.
  if (const auto& account = profile.run_as)
    fields["run_as"] = {{"user", account->user}, {"group", account->group}, {"uid", account->uid},
                        {"gid", account->gid},   {"groups", account->groups}, {"home", account->home}};
  // Only when any is set, for the same reason.
  if (const auto& limits = profile.limits; limits != Limits{})
    fields["limits"] = {{"memory", optional(limits.memory)}, {"cpus", optional(limits.cpus)},
                        {"pids", optional(limits.pids)}, {"nofile", optional(limits.nofile)},
                        {"oom_score_adj", optional(limits.oom_score_adj)}};
  return fields;
}

}  // namespace

std::uint64_t entry_hash(const Profile& profile) {
  // The manifest is UTF-8 text (the loader refuses any other); a value that is not anyway is
  // hashed with U+FFFD in place of its bad bytes rather than throwing.
  return fnv1a_64(entry(profile).dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace moltbot::config
