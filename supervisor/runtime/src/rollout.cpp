#include "moltbot/runtime/rollout.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "moltbot/common/duration.h"
#include "moltbot/config/manifest_diff.h"
#include "moltbot/runtime/fleet.h"

namespace moltbot::runtime {

namespace {

constexpr std::size_t report_lines = 20;

// The rescue profiles last: they are changed only once every other change has proved itself.
std::vector<std::string> replacement_order(const config::Manifest& next, const std::vector<std::string>& changed) {
  std::vector<std::string> order;
  for (const bool rescue : {false, true})
    for (const auto& profile : next.profiles)
      if ((profile.role == Role::rescue) == rescue &&
          std::find(changed.begin(), changed.end(), profile.name) != changed.end())
        order.push_back(profile.name);
  return order;
}

void replace_entry(config::Manifest& manifest, const config::Profile& entry) {
  for (auto& profile : manifest.profiles)
    if (profile.name == entry.name) profile = entry;
}

}  // namespace

Rollout::Rollout(boost::asio::io_context& io, Fleet& fleet, config::Manifest previous, config::Manifest next,
                 config::RolloutSettings settings, RolloutHooks hooks, Done done)
    : io_(io),
      fleet_(fleet),
      previous_(std::move(previous)),
      next_(std::move(next)),
      current_(previous_),
      settings_(settings),
      hooks_(std::move(hooks)),
      done_(std::move(done)),
      order_(replacement_order(next_, config::diff_profiles(previous_.profiles, next_.profiles).changed)),
      timer_(io) {}

void Rollout::start() { next_step(); }

void Rollout::next_step() {
  if (step_ == order_.size()) {
    // Every change proved itself: the added and removed profiles now, at once, as a plain reload.
    auto applied = fleet_.reload(next_);
    RolloutReport report = report_;
    report.completed = true;
    if (auto* problems = std::get_if<std::vector<std::string>>(&applied)) {
      report.completed = false;
      report.reason = fmt::format("the profiles it adds or removes cannot be applied: {}", fmt::join(*problems, "; "));
    }
    return finish(std::move(report));
  }
  const std::string& name = order_[step_];
  replace_entry(current_, *next_.find(name));
  decided_ = false;
  recreated_ = false;
  step_applied_ = false;
  step_started_ = std::chrono::steady_clock::now();
  step_deadline_ = settings_.deadline_for(*next_.find(name));
  announce(name, fmt::format("rollout: replacing profile {} ({} of {}); it has {} to be {}", name, step_ + 1,
                             order_.size(), format_duration(step_deadline_),
                             settings_.require_ready ? "started, healthy and ready" : "started and healthy"));
  if (!hooks_.before_step) return apply_step();
  decided_ = true;  // no event decides the step before it is applied
  hooks_.before_step(*previous_.find(name), *next_.find(name),
                     [weak = weak_from_this()](std::optional<std::string> refusal) {
                       auto self = weak.lock();
                       if (!self || self->phase_ != Phase::replacing) return;
                       self->decided_ = false;
                       if (refusal) return self->fail(std::move(*refusal));
                       self->apply_step();
                     });
}

void Rollout::apply_step() {
  auto applied = fleet_.reload(current_);
  if (auto* problems = std::get_if<std::vector<std::string>>(&applied))
    return fail(fmt::format("cannot be replaced: {}", fmt::join(*problems, "; ")));
  step_applied_ = true;
  arm(step_deadline_, [this] {
    fail(fmt::format("not {} within {} (its deadline)", settings_.require_ready ? "running and ready" : "running",
                     format_duration(step_deadline_)));
  });
}

void Rollout::on_event(const ProfileEvent& event) {
  if (event.kind == ProfileEvent::Kind::rollout) return;  // its own
  if (phase_ == Phase::rolling_back) return settle(event);
  if (phase_ != Phase::replacing || decided_ || step_ >= order_.size() || event.profile != order_[step_]) return;
  // Until the reload re-creates it, the events are its old entry's, stopping.
  if (event.kind == ProfileEvent::Kind::reload) {
    recreated_ = true;
    // The fleet starts it right after this event, unless it was down and its new entry has
    // autostart: false; left stopped, re-created is all the replacement can prove.
    return later([this] { is_stopped(order_[step_]) ? step_passed() : check_step(); });
  }
  if (!recreated_) return;
  if (event.kind == ProfileEvent::Kind::state &&
      (event.current == State::backoff || event.current == State::fatal || event.current == State::stopped))
    return later([this, reason = fmt::format("{}: {}", to_string(event.current), event.message)] { fail(reason); });
  check_step();
}

void Rollout::check_step() {
  const auto status = fleet_.status(order_[step_]);
  if (!status || status->state != State::running) return;
  if (settings_.require_ready && status->readiness != "ready") return;
  later([this] { step_passed(); });
}

void Rollout::step_passed() {
  timer_.cancel();
  const std::string& name = order_[step_];
  report_.replaced.push_back(name);
  announce(name, fmt::format("rollout: profile {} replaced and {}", name,
                             is_stopped(name)            ? "left stopped (autostart: false)"
                             : settings_.require_ready   ? "ready"
                                                         : "running"));
  ++step_;
  next_step();
}

void Rollout::later(std::function<void()> action) {
  if (decided_) return;
  decided_ = true;
  boost::asio::post(io_, [weak = weak_from_this(), action = std::move(action)] {
    auto self = weak.lock();
    if (!self || self->phase_ != Phase::replacing) return;
    self->decided_ = false;
    action();
  });
}

void Rollout::fail(std::string reason) {
  timer_.cancel();
  const std::string& name = order_[step_];
  report_.failed = name;
  report_.reason = std::move(reason);
  report_.last_lines = fleet_.log_tail(name, report_lines).value_or(std::vector<std::string>{});
  report_.rolled_back = report_.replaced;
  if (step_applied_) report_.rolled_back.push_back(name);
  report_.not_reached.assign(order_.begin() + static_cast<std::ptrdiff_t>(step_) + 1, order_.end());
  announce(name, fmt::format("rollout: profile {} failed ({}); back to the previous entry: {}", name, report_.reason,
                             fmt::join(report_.rolled_back, ", ")));
  phase_ = Phase::rolling_back;
  settling_.insert(report_.rolled_back.begin(), report_.rolled_back.end());
  if (settling_.empty()) return finish(report_);
  auto applied = fleet_.reload(previous_);
  if (auto* problems = std::get_if<std::vector<std::string>>(&applied)) {
    report_.reason += fmt::format("; the rollback cannot be applied: {}", fmt::join(*problems, "; "));
    return finish(report_);
  }
  // The previous entries ran before: they have as long as the longest step to run again.
  std::chrono::milliseconds patience{0};
  for (const auto& rolled : report_.rolled_back)
    patience = std::max(patience, settings_.deadline_for(*previous_.find(rolled)));
  arm(patience, [this] { finish(report_); });
}

void Rollout::settle(const ProfileEvent& event) {
  const std::string& name = event.profile;
  if (!settling_.contains(name)) return;
  const config::Profile& previous = *previous_.find(name);
  if (event.kind == ProfileEvent::Kind::reload) {
    recreated_names_.insert(name);
    // Back on its entry; the fleet starts it right after this event, unless it stays stopped.
    boost::asio::post(io_, [weak = weak_from_this(), name] {
      auto self = weak.lock();
      if (self && self->phase_ == Phase::rolling_back && self->settling_.contains(name) && self->is_stopped(name))
        self->settled(name);
    });
    return;
  }
  if (event.kind != ProfileEvent::Kind::state || !recreated_names_.contains(name)) return;
  if (mending_.contains(name)) {  // its reset passes through stopped: only where it ends counts
    if (event.current == State::running || event.current == State::fatal) {
      mending_.erase(name);
      settled(name);
    }
    return;
  }
  if (event.current == State::fatal && hooks_.mend && !mended_.contains(name)) {
    const auto status = fleet_.status(name);
    const bool refused_state = status && status->last_exit && status->last_exit->status &&
                               status->last_exit->status->signal == 0 && status->last_exit->status->code == 78;
    if (refused_state) {
      mended_.insert(name);
      mending_.insert(name);
      announce(name, fmt::format("rollout: profile {} refuses the state its new release left (exit 78): putting its "
                                 "databases back as they were before the change",
                                 name));
      return hooks_.mend(previous, [weak = weak_from_this(), name](bool mended) {
        auto self = weak.lock();
        if (!self || self->phase_ != Phase::rolling_back) return;
        auto* runner = mended ? self->fleet_.find(name) : nullptr;
        if (runner) return runner->reset();  // started again: running, or fatal for good
        self->mending_.erase(name);
        self->settled(name);
      });
    }
  }
  if (event.current == State::running || event.current == State::fatal || event.current == State::stopped)
    settled(name);
}

bool Rollout::is_stopped(const std::string& name) const {
  const auto status = fleet_.status(name);
  return status && status->state == State::stopped;
}

void Rollout::settled(const std::string& name) {
  settling_.erase(name);
  if (!settling_.empty()) return;
  timer_.cancel();
  finish(report_);
}

void Rollout::abandon(const std::string& why) {
  if (phase_ == Phase::finished) return;
  timer_.cancel();
  RolloutReport report = report_;
  report.failed = step_ < order_.size() ? order_[step_] : "";
  report.reason = why;
  finish(std::move(report));
}

void Rollout::finish(RolloutReport report) {
  if (phase_ == Phase::finished) return;
  phase_ = Phase::finished;
  if (report.completed)
    spdlog::info("rollout: completed: {}", report.replaced.empty() ? "nothing changed" : fmt::format("{}", fmt::join(report.replaced, ", ")));
  else
    spdlog::warn("rollout: stopped at profile {}: {}", report.failed, report.reason);
  auto done = std::move(done_);
  if (done) done(report);
}

void Rollout::announce(const std::string& profile, const std::string& message) {
  spdlog::info("{}", message);
  const auto status = fleet_.status(profile);
  const State state = status ? status->state : State::stopped;
  fleet_.announce({ProfileEvent::Kind::rollout, profile, state, state, message});
}

void Rollout::arm(std::chrono::milliseconds deadline, std::function<void()> expired) {
  timer_.expires_after(deadline);
  timer_.async_wait([weak = weak_from_this(), expired = std::move(expired)](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (!error && self && self->phase_ != Phase::finished && !self->decided_) expired();
  });
}

std::optional<RolloutMark> Rollout::mark(const std::string& profile) const {
  if (phase_ == Phase::finished) return std::nullopt;
  if (phase_ == Phase::rolling_back) {
    if (std::find(report_.rolled_back.begin(), report_.rolled_back.end(), profile) == report_.rolled_back.end())
      return std::nullopt;
    return RolloutMark{"rolling back", std::nullopt, std::nullopt};
  }
  const auto position = std::find(order_.begin(), order_.end(), profile);
  if (position == order_.end()) return std::nullopt;
  const auto index = static_cast<std::size_t>(position - order_.begin());
  if (index < step_) return std::nullopt;
  if (index > step_) return RolloutMark{"queued", std::nullopt, std::nullopt};
  return RolloutMark{"replacing",
                     std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - step_started_),
                     step_deadline_};
}

}  // namespace moltbot::runtime
