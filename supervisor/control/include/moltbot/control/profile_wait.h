#pragma once
// `start|stop|restart --wait`: holds the reply until every targeted profile has reached its goal
// (running, or at rest for stop), one fails (fatal, or back at rest while it should run), or the
// timeout passes. Each state change of a targeted profile is streamed as progress meanwhile.
// What it does later (progress, completion, timeout) runs inside the catch boundary: a failure
// fails the waiting client alone (ReplySink::fail).
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "moltbot/control/command_registry.h"
#include "moltbot/control/fleet_commands.h"

namespace moltbot::control {

class ProfileWait : public std::enable_shared_from_this<ProfileWait> {
 public:
  enum class Goal { running, stopped };

  // Runs `act` once it listens, so every change `act` causes is reported; replies through `sink`
  // when done. Until then the wait lives as long as the connection.
  static void begin(const FleetCommandContext& context, ReplySink& sink, nlohmann::json reply_data,
                    std::vector<std::string> profiles, Goal goal, std::chrono::milliseconds timeout,
                    const std::function<void()>& act);

  ProfileWait(const FleetCommandContext& context, ReplySink& sink, nlohmann::json reply_data,
              std::vector<std::string> profiles, Goal goal);

 private:
  void on_event(const nlohmann::json& event);
  void time_out(std::chrono::milliseconds timeout);
  void check();
  void finish(const nlohmann::json& reply);

  runtime::Fleet& fleet_;
  ReplySink& sink_;
  nlohmann::json reply_data_;
  std::set<std::string> profiles_;
  Goal goal_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<void> subscription_;
  bool done_ = false;
};

}  // namespace moltbot::control
