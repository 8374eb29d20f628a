// Fleet::reload and the transition it starts: stop what leaves, then drop it and create what
// arrives. Split from fleet.cpp, which creates, starts, stops and routes.
#include <boost/asio/post.hpp>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "moltbot/runtime/fleet.h"
#include "moltbot/runtime/guarded.h"

namespace moltbot::runtime {

namespace {

constexpr const char* removed_reason = "removed from the manifest (reload)";
constexpr const char* changed_reason = "entry changed (reload): stopping to start again under the new entry";

}  // namespace

std::variant<config::ProfileChanges, std::vector<std::string>> Fleet::reload(const config::Manifest& manifest) {
  if (stopping_) return std::vector<std::string>{"the supervisor is stopping"};
  auto changes = config::diff_profiles(target_profiles(), manifest.profiles);

  // Everything that can fail, before anything changes.
  std::vector<std::string> problems;
  std::map<std::string, ProfileLock> new_locks;
  std::map<std::string, Arrival> arrivals;
  for (const auto* names : {&changes.added, &changes.changed})
    for (const auto& name : *names) {
      const config::Profile& profile = *manifest.find(name);
      // Folders that fail keep only this profile from starting (folders_pass).
      if (auto problem = folders_pass(profile) ? claim_state_dir(profile, new_locks) : std::nullopt) {
        problems.push_back(std::move(*problem));
        continue;
      }
      arrivals.emplace(name, Arrival{profile, log_of(name)});
    }
  if (!problems.empty()) return problems;

  locks_.merge(new_locks);
  if (!transition_) transition_.emplace();
  auto& transition = *transition_;
  std::vector<std::pair<ProfileRunner*, const char*>> to_retire;
  auto leave = [&](const std::string& name, const char* reason) {
    auto* member = find_member(name);
    if (member && transition.leaving.insert(name).second) to_retire.emplace_back(member->runner.get(), reason);
  };
  for (const auto& name : changes.removed) {
    transition.arriving.erase(name);
    leave(name, removed_reason);
  }
  for (auto& [name, arrival] : arrivals) {
    transition.arriving.insert_or_assign(name, std::move(arrival));
    if (auto* member = find_member(name); member && !transition.leaving.contains(name)) {
      const State state = member->runner->status().state;
      if (state != State::stopped && state != State::stopping) transition.were_up.insert(name);
    }
    leave(name, changed_reason);
  }
  transition.order.clear();
  for (const auto& profile : manifest.profiles) transition.order.push_back(profile.name);

  // Last: retiring emits events, and the transition must be complete when observers look.
  for (auto [runner, reason] : to_retire) runner->retire(reason);
  advance_transition();
  return changes;
}

// What the fleet is heading to: the members that stay, and the profiles still to arrive.
std::vector<config::Profile> Fleet::target_profiles() const {
  std::vector<config::Profile> target;
  for (const auto& member : members_)
    if (!transition_ || !transition_->leaving.contains(member.runner->profile().name))
      target.push_back(member.runner->profile());
  if (transition_)
    for (const auto& [name, arrival] : transition_->arriving) target.push_back(arrival.profile);
  return target;
}

// A profile keeps one log (file and in-memory tail) across replacements of its entry.
std::shared_ptr<ProfileLog> Fleet::log_of(const std::string& name) {
  if (auto* member = find_member(name)) return member->log;
  if (transition_)
    if (auto arrival = transition_->arriving.find(name); arrival != transition_->arriving.end())
      return arrival->second.log;
  return open_log(name);
}

bool Fleet::leaving_at_rest() {
  return std::all_of(transition_->leaving.begin(), transition_->leaving.end(), [this](const std::string& name) {
    auto* member = find_member(name);
    return !member || member->runner->at_rest();
  });
}

void Fleet::advance_transition() {
  if (!transition_ || completion_posted_ || !leaving_at_rest()) return;
  completion_posted_ = true;
  // Never from inside an event of a runner that is about to be dropped.
  boost::asio::post(io_, [this] {
    guarded(Handler::reload, {}, [this] { complete_transition(); }, [this](const std::string&) {
      // Half done at most: what it did not create, a reload of the same manifest creates (the
      // comparison is with what the fleet now runs); what it stopped stays stopped.
      completion_posted_ = false;
      transition_.reset();
      spdlog::error("reload: not completed; reload again to apply the manifest");
    });
  });
}

void Fleet::complete_transition() {
  completion_posted_ = false;
  // Abandoned by stop_all, or a merged reload stopped more profiles: their events come back here.
  if (!transition_ || !leaving_at_rest()) return;
  auto transition = std::move(*transition_);
  transition_.reset();

  auto drop = [this](const std::string& name) {
    auto member = std::find_if(members_.begin(), members_.end(),
                               [&](const Member& m) { return m.runner->profile().name == name; });
    const State last = member->runner->status().state;
    members_.erase(member);
    return last;
  };
  std::vector<ProfileEvent> events;
  for (const auto& name : transition.leaving)
    if (!transition.arriving.contains(name)) {
      const State last = drop(name);
      events.push_back({ProfileEvent::Kind::reload, name, last, last, "removed (reload)"});
    }
  std::vector<std::shared_ptr<ProfileRunner>> to_start;
  for (auto& [name, arrival] : transition.arriving) {
    const bool replaced = transition.leaving.contains(name);
    const State previous = replaced ? drop(name) : State::stopped;
    auto& member = add_member(arrival.profile, std::move(arrival.log));
    events.push_back({ProfileEvent::Kind::reload, name, previous, State::stopped,
                      replaced ? "re-created from its new entry (reload)" : "added (reload)"});
    if (member.runner->profile().autostart || transition.were_up.contains(name)) to_start.push_back(member.runner);
  }

  auto position = [&](const Member& member) {
    return std::find(transition.order.begin(), transition.order.end(), member.runner->profile().name);
  };
  std::stable_sort(members_.begin(), members_.end(),
                   [&](const Member& a, const Member& b) { return position(a) < position(b); });
  std::erase_if(locks_, [this](const auto& lock) {
    return std::none_of(members_.begin(), members_.end(),
                        [&](const Member& member) { return member.runner->profile().state_dir == lock.first; });
  });

  for (const auto& event : events) dispatch(event);
  for (const auto& runner : to_start) runner->start();
}

}  // namespace moltbot::runtime
