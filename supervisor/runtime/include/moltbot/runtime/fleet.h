#pragma once
// The fleet: creates one ProfileRunner per profile, starts the autostart ones together, routes
// requests and reaped orphans to them, stops them all together. It knows nothing about how one
// profile is run.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/config/manifest.h"
#include "moltbot/runtime/asio_deadline.h"
#include "moltbot/runtime/profile_lock.h"
#include "moltbot/runtime/profile_process.h"
#include "moltbot/runtime/profile_runner.h"
#include "moltbot/runtime/reaper.h"

namespace moltbot::runtime {

class Fleet {
 public:
  using Observer = std::function<void(const ProfileEvent&)>;
  using LogObserver = std::function<void(const std::string& profile, const std::string& line)>;

  // Takes every profile's lock before anything runs. When another supervisor holds one, or a
  // state dir or log cannot be set up, the result lists every such problem (one line each) and
  // no Fleet exists.
  static std::variant<std::unique_ptr<Fleet>, std::vector<std::string>> create(boost::asio::io_context& io,
                                                                                 Reaper& reaper,
                                                                                 const config::Manifest& manifest,
                                                                                 const Environment& supervisor_env);
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;
  ~Fleet();

  // Every event of every profile, in order. Several observers may attach (status file, control
  // socket, sd_notify).
  void on_event(Observer observer) { observers_.push_back(std::move(observer)); }
  // Every line of every profile's log (child output and supervisor notes) as it is written.
  void on_log_line(LogObserver observer) { log_observers_.push_back(std::move(observer)); }

  // Starts every autostart profile; none waits for another.
  void start_all();
  // Stops every profile at once; `done` runs once all are at rest and stray adoptees are gone.
  void stop_all(std::function<void()> done);

  std::vector<ProfileStatus> status() const;
  ProfileRunner* find(const std::string& name);
  // The last `lines` lines of the profile's log kept in memory; empty when there is no such profile.
  std::optional<std::vector<std::string>> log_tail(const std::string& name, std::size_t lines) const;

 private:
  struct Member {
    ProfileLock lock;
    std::unique_ptr<AsioDeadline> deadline;
    std::shared_ptr<ProfileProcess> process;
    std::shared_ptr<ProfileRunner> runner;  // last: destroyed first, it refers to the two above
  };

  Fleet(Reaper& reaper);
  void dispatch(const ProfileEvent& event);
  void check_all_stopped();

  Reaper& reaper_;
  std::vector<Member> members_;
  std::vector<Observer> observers_;
  std::vector<LogObserver> log_observers_;
  std::mt19937 random_{std::random_device{}()};
  std::function<void()> on_all_stopped_;
};

}  // namespace moltbot::runtime
