#pragma once
// A rolling reload (docs/supervisor.md#rolling-reload): the changed profiles of a new manifest
// replaced one at a time, the other profiles first in manifest order and the rescue ones last, each
// started, healthy (and ready, with require_ready) within its deadline before the next is touched.
// The first that fails stops it: every profile this rollout changed goes back to its previous
// entry, those it did not reach are never touched, and the fleet ends as the previous manifest
// says. Added and removed profiles are applied at the end, once every change has proved itself.
//
// It drives the fleet only through Fleet::reload() with manifests between the previous and the
// next one (the previous with the first k changed profiles replaced), so a step is exactly a
// reload of one profile, and a rollback exactly a reload of the previous manifest.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "moltbot/config/manifest.h"
#include "moltbot/runtime/profile_state.h"

namespace moltbot::runtime {

class Fleet;

struct RolloutReport {
  bool completed = false;  // every change applied; else `failed` says where it stopped
  std::vector<std::string> replaced;  // in order; on failure, those changed before the rollback
  std::string failed;                 // the profile whose replacement failed
  std::string reason;                 // why, for humans
  std::vector<std::string> last_lines;   // of the failed profile's log
  std::vector<std::string> rolled_back;  // back on their previous entries (the failed one included)
  std::vector<std::string> not_reached;  // never touched
};

// What a rollout asks of its owner around each step (the daemon's database copies, issue 19).
struct RolloutHooks {
  // Before `next` replaces `previous`, while nothing is stopped: `proceed` (called once, now or
  // later from the loop) with nullopt to go on, or why the rollout must stop here.
  std::function<void(const config::Profile& previous, const config::Profile& next,
                     std::function<void(std::optional<std::string> refusal)> proceed)>
      before_step;
  // A profile rolled back to `previous` ended fatal with exit 78 (its release refuses the state the
  // new one left): `done(true)` once mended (its pre-change databases put back), and it is reset
  // to start again; `done(false)` leaves it fatal.
  std::function<void(const config::Profile& previous, std::function<void(bool mended)> done)> mend;
};

class Rollout : public std::enable_shared_from_this<Rollout> {
 public:
  using Done = std::function<void(const RolloutReport&)>;

  // Starts with the first step; `done` runs once, from the loop, when every change has proved
  // itself and the added and removed profiles are applied, or once a rollback has settled (its
  // profiles running again, or at rest). `previous` is what the fleet runs now.
  Rollout(boost::asio::io_context& io, Fleet& fleet, config::Manifest previous, config::Manifest next,
          config::RolloutSettings settings, RolloutHooks hooks, Done done);
  Rollout(const Rollout&) = delete;
  Rollout& operator=(const Rollout&) = delete;

  void start();
  // Every event of the fleet (Fleet::dispatch).
  void on_event(const ProfileEvent& event);
  // The supervisor stops: no further step, no rollback; `done` says so.
  void abandon(const std::string& why);
  bool finished() const { return phase_ == Phase::finished; }

  // Where the profile stands in this rollout, for status: "replacing" (with how long and its
  // deadline), "queued", "rolling back"; nullopt when the rollout does not concern it (any more).
  std::optional<RolloutMark> mark(const std::string& profile) const;

 private:
  enum class Phase { replacing, rolling_back, finished };

  // Runs `action` from the loop, not inside the fleet's event dispatch that decided it: a step
  // reloads the fleet, which must not happen in the middle of its own reload's events.
  void later(std::function<void()> action);
  void next_step();
  // The step's reload, once before_step let it through.
  void apply_step();
  void settled(const std::string& name);
  bool is_stopped(const std::string& name) const;
  void check_step();
  void step_passed();
  void fail(std::string reason);
  // A rolled-back profile re-created from its previous entry, then running, fatal or stopped.
  void settle(const ProfileEvent& event);
  void finish(RolloutReport report);
  void announce(const std::string& profile, const std::string& message);
  void arm(std::chrono::milliseconds deadline, std::function<void()> expired);

  boost::asio::io_context& io_;
  Fleet& fleet_;
  const config::Manifest previous_;
  const config::Manifest next_;
  config::Manifest current_;  // previous_ with the profiles replaced so far
  const config::RolloutSettings settings_;
  RolloutHooks hooks_;
  Done done_;
  std::vector<std::string> order_;  // the changed profiles, as they are replaced
  std::size_t step_ = 0;            // order_[step_] is being replaced
  bool step_applied_ = false;       // the fleet took the step's reload
  bool decided_ = false;            // the step's outcome is posted (later())
  bool recreated_ = false;          // the step's profile runs its new entry (a reload event said so)
  std::set<std::string> settling_;  // rolled back, not yet running (or at rest) again
  std::set<std::string> recreated_names_;
  std::set<std::string> mended_;   // given to hooks_.mend once
  std::set<std::string> mending_;  // until its reset ends running or fatal
  std::chrono::steady_clock::time_point step_started_;
  std::chrono::milliseconds step_deadline_{0};
  Phase phase_ = Phase::replacing;
  RolloutReport report_;
  boost::asio::steady_timer timer_;
};

}  // namespace moltbot::runtime
