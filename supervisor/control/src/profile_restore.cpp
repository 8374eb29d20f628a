#include "profile_restore.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "moltbot/backup/backup_jobs.h"
#include "moltbot/common/utc_stamp.h"
#include "profile_goal.h"

namespace moltbot::control {

namespace {

using nlohmann::json;

// A stop waits for the gateway's own stop budget at most; this bounds the wait for one.
constexpr std::chrono::minutes stop_timeout{10};

class RestoreRun : public std::enable_shared_from_this<RestoreRun> {
 public:
  RestoreRun(const FleetCommandContext& context, std::string profile, std::string archive,
             std::chrono::milliseconds start_timeout, std::function<void(RestoreResult)> done)
      : context_(context),
        profile_(std::move(profile)),
        archive_(std::move(archive)),
        start_timeout_(start_timeout),
        done_(std::move(done)) {
    const std::string stamp = utc_stamp();
    aside_ = ".restore-previous-" + stamp;
    failed_ = ".restore-failed-" + stamp;
  }

  void begin() {
    auto* runner = context_.fleet.find(profile_);
    if (!runner) return finish("system", "the profile left the fleet");
    state_dir_ = runner->profile().state_dir;
    job({"stage", "--state", state_dir_, "--from", archive_}, [this](backup::JobOutcome staged) {
      if (!staged.reply) return finish("restore-refused", staged.error + "; nothing was changed");
      counts_ = *staged.reply;
      counts_.erase("ok");
      spdlog::info("restore: profile {} from {}: archive verified and staged; stopping the profile", profile_, archive_);
      stop_then([this] { swap_in(); }, "before the restore");
    });
  }

 private:
  void job(std::vector<std::string> arguments, std::function<void(backup::JobOutcome)> then) {
    backup::run_job(context_.io, context_.fleet.reaper(), std::move(arguments),
                    [self = shared_from_this(), then = std::move(then)](backup::JobOutcome outcome) { then(std::move(outcome)); });
  }

  void stop_then(std::function<void()> then, const char* when) {
    auto* runner = context_.fleet.find(profile_);
    if (!runner) return finish("system", "the profile left the fleet");
    runner->stop();
    await_profile(context_, profile_, ProfileGoal::at_rest, stop_timeout,
                  [self = shared_from_this(), then = std::move(then), when](std::optional<std::string> failure) {
                    if (failure) return self->finish("system", fmt::format("cannot stop the profile {}: {}", when, *failure));
                    then();
                  });
  }

  void start_then(std::function<void(std::optional<std::string>)> then) {
    auto* runner = context_.fleet.find(profile_);
    if (!runner) return finish("system", "the profile left the fleet");
    runner->reset();
    runner->start();
    await_profile(context_, profile_, ProfileGoal::running, start_timeout_,
                  [self = shared_from_this(), then = std::move(then)](std::optional<std::string> failure) { then(failure); });
  }

  void swap_in() {
    job({"swap-in", "--state", state_dir_, "--aside", aside_}, [this](backup::JobOutcome swapped) {
      if (!swapped.reply) {
        const std::string error = swapped.error;
        job({"discard", "--state", state_dir_}, [this, error](backup::JobOutcome) {
          start_then([this, error](std::optional<std::string>) {
            finish("restore-refused", error + "; the previous state stayed in place");
          });
        });
        return;
      }
      spdlog::info("restore: profile {}: previous state moved into {}/{}, the restored one in; starting", profile_,
                   state_dir_, aside_);
      start_then([this](std::optional<std::string> failure) {
        if (!failure) {
          counts_["profile"] = profile_;
          counts_["previous_state"] = state_dir_ + "/" + aside_;
          return finish({}, {});
        }
        roll_back(*failure);
      });
    });
  }

  void roll_back(const std::string& why) {
    spdlog::warn("restore: profile {} did not start with the restored state ({}): moving the previous state back",
                 profile_, why);
    stop_then(
        [this, why] {
          job({"swap-back", "--state", state_dir_, "--aside", aside_, "--failed", failed_},
              [this, why](backup::JobOutcome back) {
                if (!back.reply)
                  return finish("system", fmt::format("the profile did not start with the restored state ({}), and its "
                                                      "previous state could not be moved back: {}",
                                                      why, back.error));
                start_then([this, why](std::optional<std::string> failure) {
                  finish("restore-failed",
                         fmt::format("the profile did not start with the restored state ({}); it is in {}/{}, the "
                                     "previous state is back{}",
                                     why, state_dir_, failed_,
                                     failure ? fmt::format(" but the profile did not start with it either: {}", *failure)
                                             : " and running"));
                });
              });
        },
        "after the failed restore");
  }

  void finish(std::string code, std::string message) {
    if (code.empty())
      spdlog::info("restore: profile {} runs with the state restored from {}", profile_, archive_);
    else
      spdlog::warn("restore: profile {}: {} [{}]", profile_, message, code);
    RestoreResult result{code.empty(), std::move(code), std::move(message), std::move(counts_)};
    done_(std::move(result));
  }

  FleetCommandContext context_;
  std::string profile_;
  std::string archive_;
  std::chrono::milliseconds start_timeout_;
  std::function<void(RestoreResult)> done_;
  std::string state_dir_;
  std::string aside_;
  std::string failed_;
  json counts_ = json::object();
};

}  // namespace

void restore_profile(const FleetCommandContext& context, const std::string& profile, const std::string& archive,
                     std::chrono::milliseconds start_timeout, std::function<void(RestoreResult)> done) {
  std::make_shared<RestoreRun>(context, profile, archive, start_timeout, std::move(done))->begin();
}

}  // namespace moltbot::control
