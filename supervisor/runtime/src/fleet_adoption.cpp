// Fleet::create's start after a predecessor died without stopping its gateways: each recorded
// gateway is adopted, or ended with the rest of what was left running. Split from fleet.cpp,
// which creates, starts, stops and routes.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "moltbot/config/manifest_diff.h"
#include "moltbot/config/run_as.h"
#include "moltbot/runtime/fleet.h"

namespace moltbot::runtime {

std::optional<RecordedChild> Fleet::recorded_gateway(const config::Profile& profile) {
  return find_recorded_child(profile.state_dir, profile.name, config::gateway_account(profile, own_account()).uid);
}

void Fleet::adopt_or_end(const config::Manifest& manifest, CrashHandover* crash) {
  // A profile refused for its folders (folders_pass) is not locked: what it recorded there waits
  // until it is claimed.
  const auto claimed = [&](const config::Profile& profile) { return locks_.contains(profile.state_dir); };
  std::map<std::string, RecordedChild> recorded;
  for (const auto& profile : manifest.profiles)
    if (auto child = claimed(profile) ? recorded_gateway(profile) : std::nullopt)
      recorded.emplace(profile.name, std::move(*child));
  // Adopted gateways keep the id of the supervisor that started them, in their marker and in
  // the path of their cgroups: this supervisor goes on under it.
  if (crash_store_ && !recorded.empty())
    tracking_ = std::make_unique<ProcessTracking>(io_, reaper_, *supervisor_env_, recorded.begin()->second.record.instance);
  else
    tracking_ = std::make_unique<ProcessTracking>(io_, reaper_, *supervisor_env_);
  spdlog::info("process tracking: {}", tracking_->description());

  for (const auto& profile : manifest.profiles) {
    if (!claimed(profile)) {
      add_member(profile, open_log(profile.name));
      continue;
    }
    std::optional<RecordedChild> child;
    if (auto found = recorded.find(profile.name); found != recorded.end()) child = std::move(found->second);
    std::optional<int> output;
    if (child && crash_store_ && child->record.instance == tracking_->instance())
      output = crash->passed.take(output_fd_name(profile.name));
    if (!output) {
      // Its output pipe is gone with the store (or it was never kept): adopted, the gateway
      // would die of SIGPIPE at its next line.
      if (child && crash_store_)
        spdlog::warn("profile {}: its gateway pid {} cannot be adopted: {}", profile.name, child->record.process.pid,
                     child->record.instance == tracking_->instance()
                         ? "the service manager did not pass its output pipe back"
                         : "it was started by another supervisor than the other gateways");
      end_left_running(profile, std::move(child));
      add_member(profile, open_log(profile.name));
      continue;
    }
    const pid_t pid = child->record.process.pid;
    const bool changed = child->record.entry_hash != config::entry_hash(profile);
    auto& member = add_member(profile, open_log(profile.name), true);
    const auto age = member.process->adopt(std::move(*child), *output, member.runner->exit_handler());
    member.runner->adopt(pid, age, changed);
    spdlog::info("profile {}: adopted its gateway pid {} (running for {:.1f}s), left running by a supervisor that "
                 "ended without stopping it{}",
                 profile.name, pid, std::chrono::duration<double>(age).count(),
                 changed ? "; its entry changed since it started: restarting it" : "");
  }
}

}  // namespace moltbot::runtime
