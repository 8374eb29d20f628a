#include "profile_goal.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

namespace moltbot::control {

namespace {

using runtime::State;

class GoalWatch : public std::enable_shared_from_this<GoalWatch> {
 public:
  GoalWatch(const FleetCommandContext& context, std::string profile, ProfileGoal goal,
            std::function<void(std::optional<std::string>)> done)
      : fleet_(context.fleet), profile_(std::move(profile)), goal_(goal), timer_(context.io), done_(std::move(done)) {}

  void begin(FleetFeeds& feeds, std::chrono::milliseconds timeout) {
    std::weak_ptr<GoalWatch> weak = weak_from_this();
    subscription_ = feeds.events.subscribe([weak](const nlohmann::json& event) {
      auto self = weak.lock();
      if (self && event.value("kind", "") == "state" && event.value("profile", "") == self->profile_) self->check();
    });
    timer_.expires_after(timeout);
    // The timer's handler keeps the watch alive until it has answered.
    timer_.async_wait([self = shared_from_this(), timeout](const boost::system::error_code& error) {
      if (!error) self->finish(fmt::format("not {} after {} ms", self->goal_ == ProfileGoal::running ? "running" : "stopped",
                                           timeout.count()));
    });
    check();
  }

 private:
  void check() {
    const auto status = fleet_.status(profile_);
    if (!status) return finish("the profile left the fleet (a reload)");
    const State state = status->state;
    if (goal_ == ProfileGoal::at_rest) {
      if (state == State::stopped || state == State::fatal) finish(std::nullopt);
      return;
    }
    if (state == State::running) return finish(std::nullopt);
    if (state == State::fatal || state == State::stopped || state == State::backoff)
      finish(fmt::format("it is {}: {}", runtime::to_string(state), status->reason));
  }

  void finish(std::optional<std::string> failure) {
    if (finished_) return;
    finished_ = true;
    subscription_.reset();
    timer_.cancel();
    // Later, never from inside the event that settled it: `done` may act on the fleet at once.
    boost::asio::post(timer_.get_executor(), [done = std::move(done_), failure = std::move(failure)] { done(failure); });
  }

  runtime::Fleet& fleet_;
  std::string profile_;
  ProfileGoal goal_;
  boost::asio::steady_timer timer_;
  std::function<void(std::optional<std::string>)> done_;
  std::shared_ptr<void> subscription_;
  bool finished_ = false;
};

}  // namespace

void await_profile(const FleetCommandContext& context, const std::string& profile, ProfileGoal goal,
                   std::chrono::milliseconds timeout, std::function<void(std::optional<std::string>)> done) {
  std::make_shared<GoalWatch>(context, profile, goal, std::move(done))->begin(context.feeds, timeout);
}

}  // namespace moltbot::control
