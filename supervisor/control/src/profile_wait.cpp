#include "moltbot/control/profile_wait.h"

#include <fmt/format.h>

namespace moltbot::control {

using nlohmann::json;
using runtime::State;

void ProfileWait::begin(const FleetCommandContext& context, ReplySink& sink, json reply_data,
                        std::vector<std::string> profiles, Goal goal, std::chrono::milliseconds timeout,
                        const std::function<void()>& act) {
  auto wait = std::make_shared<ProfileWait>(context, sink, std::move(reply_data), std::move(profiles), goal);
  sink.keep_until_closed(wait);
  std::weak_ptr<ProfileWait> weak = wait;
  wait->subscription_ = context.feeds.events.subscribe([weak](const json& event) {
    if (auto self = weak.lock()) self->sink_.run_guarded(runtime::Handler::wait, [&] { self->on_event(event); });
  });
  wait->timer_.expires_after(timeout);
  wait->timer_.async_wait([weak, timeout](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (error || !self || self->done_) return;
    self->sink_.run_guarded(runtime::Handler::wait, [&] { self->time_out(timeout); });
  });
  act();
  wait->check();
}

ProfileWait::ProfileWait(const FleetCommandContext& context, ReplySink& sink, json reply_data,
                         std::vector<std::string> profiles, Goal goal)
    : fleet_(context.fleet),
      sink_(sink),
      reply_data_(std::move(reply_data)),
      profiles_(profiles.begin(), profiles.end()),
      goal_(goal),
      timer_(context.io) {}

void ProfileWait::on_event(const json& event) {
  // Audit events (grant_audit.h) say who asked for something, not where a profile is.
  if (done_ || event["kind"] == "audit" || !profiles_.count(event["profile"].get<std::string>())) return;
  sink_.send_stream(stream_message("progress", event));
  if (event["kind"] != "state") return;
  const auto to = event["to"].get<std::string>();
  if (goal_ == Goal::running && (to == "fatal" || to == "stopped"))
    return finish(error_reply("failed", fmt::format("profile \"{}\" is {}: {}", event["profile"].get<std::string>(),
                                                    to, event["message"].get<std::string>())));
  check();
}

void ProfileWait::time_out(std::chrono::milliseconds timeout) {
  std::string pending;
  for (const auto& status : fleet_.status())
    if (profiles_.count(status.name))
      pending += fmt::format("{}{} is {}", pending.empty() ? "" : ", ", status.name, runtime::to_string(status.state));
  finish(error_reply("timeout", fmt::format("not done after {} ms: {}", timeout.count(), pending)));
}

void ProfileWait::check() {
  if (done_) return;
  auto states = json::object();
  bool all_there = true;
  for (const auto& status : fleet_.status()) {
    if (!profiles_.count(status.name)) continue;
    states[status.name] = runtime::to_string(status.state);
    if (goal_ == Goal::running && status.state == State::fatal)
      return finish(error_reply("failed", fmt::format("profile \"{}\" is fatal: {}", status.name, status.reason)));
    const bool there = goal_ == Goal::running ? status.state == State::running
                                              : status.state == State::stopped || status.state == State::fatal;
    all_there = all_there && there;
  }
  if (!all_there) return;
  reply_data_["states"] = states;
  finish(ok_reply(reply_data_));
}

void ProfileWait::finish(const json& reply) {
  done_ = true;
  timer_.cancel();
  subscription_.reset();
  sink_.send(reply);
}

}  // namespace moltbot::control
