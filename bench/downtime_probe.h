#pragma once
// Watching a gateway's port through a restart: `/healthz` then `/startupz`, one new connection
// per request, a round every `cadence`, each reply stamped with steady_clock when it arrived. The
// downtime is read off the rounds afterwards: the last `/healthz` 200 of the old process to the
// first `/startupz` "started" of the new one.
//
// Old and new are told apart in three ways. When the gateway is replaced (planned restart,
// kill), by the old process's pidfd, checked before every request: the supervisor starts the
// replacement only after it has reaped the old process, so a request sent while the old one
// still lives reaches the old one or nobody. When the bundled gateway restarts in-process (same
// pid), by its `/status` `in_process_restarts`, asked at the start of every round. When another
// gateway restarts in-process, by the first round after the request in which it is down (no
// `/healthz` answer, or `/startupz` neither "started" nor "draining"): before it the old
// incarnation, from it on the new one.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace moltbot::bench {

using Clock = std::chrono::steady_clock;

struct Probe {
  Clock::time_point sent;      // when the old process was checked and the request sent
  Clock::time_point answered;  // when the reply (or the error) came back
  bool old_gone = false;       // the old process had exited before the request was sent
  int status = 0;              // HTTP status, 0 without a reply
  std::string startup;         // /startupz "status" ("started", "starting", "draining"); empty otherwise
};

struct Round {
  Clock::time_point sent;
  std::optional<int> incarnation;  // /status in_process_restarts, when asked and answered
  Probe live, startup;

  bool down() const { return live.status != 200 || startup.startup != "started"; }
};

struct PollOptions {
  int port = 0;
  std::chrono::microseconds cadence{1000};
  std::chrono::milliseconds request_timeout{1000};
  std::chrono::milliseconds deadline{10000};
  int old_pidfd = -1;  // the replaced process; -1 when it restarts in-process
  bool ask_incarnation = false;  // GET /status first in every round (the bundled gateway)
};

// Adds rounds to `rounds` from now until `done(rounds)` or the deadline.
void poll_port(const PollOptions& options, std::vector<Round>& rounds,
               const std::function<bool(const std::vector<Round>&)>& done);

struct Downtime {
  Clock::time_point last_old_live;
  Clock::time_point first_new_started;
  std::optional<Clock::time_point> old_exit_seen;  // replaced only: the first check that found it gone
  double ms() const { return std::chrono::duration<double, std::milli>(first_new_started - last_old_live).count(); }
};

// Replaced: the last /healthz 200 sent before the old process was gone to the first /startupz
// "started" sent after. Nothing when either was not seen.
std::optional<Downtime> downtime_replaced(const std::vector<Round>& rounds);
bool new_process_started(const std::vector<Round>& rounds);

// In-process: by the incarnations when the rounds have them, else around the first round sent
// after `requested` in which the gateway is down. Nothing when neither the old nor the new
// incarnation can be told (without incarnations: a restart between two rounds).
std::optional<Downtime> downtime_in_process(const std::vector<Round>& rounds, Clock::time_point requested);
bool restarted_in_process(const std::vector<Round>& rounds, Clock::time_point requested);

// The median time between the starts of two rounds: the resolution actually reached.
double median_round_ms(const std::vector<Round>& rounds);

}  // namespace moltbot::bench
