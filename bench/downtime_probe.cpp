#include "downtime_probe.h"

#include <poll.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "moltbot/test/http_get.h"

namespace moltbot::bench {
namespace {

bool exited(int pidfd) {
  if (pidfd < 0) return false;
  pollfd ready{pidfd, POLLIN, 0};
  return ::poll(&ready, 1, 0) > 0;
}

Probe probe(const PollOptions& options, const std::string& path) {
  Probe probe;
  probe.sent = Clock::now();
  probe.old_gone = exited(options.old_pidfd);
  auto reply = test::http_get("127.0.0.1", options.port, path, options.request_timeout);
  probe.answered = Clock::now();
  if (!reply.response) return probe;
  probe.status = reply.response->status;
  if (path == "/startupz") {
    auto body = nlohmann::json::parse(reply.response->body, nullptr, false);
    if (body.is_object()) probe.startup = body.value("status", "");
  }
  return probe;
}

std::optional<int> incarnation(const PollOptions& options) {
  auto reply = test::http_get("127.0.0.1", options.port, "/status", options.request_timeout);
  if (!reply.ok()) return std::nullopt;
  auto body = nlohmann::json::parse(reply.response->body, nullptr, false);
  if (!body.is_object() || !body["in_process_restarts"].is_number_integer()) return std::nullopt;
  return body["in_process_restarts"].get<int>();
}

bool is_started(const Probe& probe) { return probe.status == 200 && probe.startup == "started"; }

// The first round sent after `requested` in which the gateway was down.
std::vector<Round>::const_iterator first_down(const std::vector<Round>& rounds, Clock::time_point requested) {
  return std::find_if(rounds.begin(), rounds.end(),
                      [&](const Round& round) { return round.sent >= requested && round.down(); });
}

}  // namespace

void poll_port(const PollOptions& options, std::vector<Round>& rounds,
               const std::function<bool(const std::vector<Round>&)>& done) {
  const auto deadline = Clock::now() + options.deadline;
  while (Clock::now() < deadline) {
    Round round;
    round.sent = Clock::now();
    if (options.ask_incarnation) round.incarnation = incarnation(options);
    round.live = probe(options, "/healthz");
    round.startup = probe(options, "/startupz");
    rounds.push_back(std::move(round));
    if (done(rounds)) break;
    std::this_thread::sleep_until(rounds.back().sent + options.cadence);
  }
}

std::optional<Downtime> downtime_replaced(const std::vector<Round>& rounds) {
  std::optional<Clock::time_point> last_old_live, first_new_started, old_exit_seen;
  for (const auto& round : rounds) {
    for (const Probe* probe : {&round.live, &round.startup})
      if (probe->old_gone && !old_exit_seen) old_exit_seen = probe->sent;
    if (!round.live.old_gone && round.live.status == 200) last_old_live = round.live.answered;
    if (round.startup.old_gone && is_started(round.startup) && !first_new_started)
      first_new_started = round.startup.answered;
  }
  if (!last_old_live || !first_new_started) return std::nullopt;
  return Downtime{*last_old_live, *first_new_started, old_exit_seen};
}

bool new_process_started(const std::vector<Round>& rounds) {
  return !rounds.empty() && rounds.back().startup.old_gone && is_started(rounds.back().startup);
}

namespace {

// Incarnations only grow, and change once here: a round belongs to the old one when it was
// answered before the restart was asked for or a later round's /status (asked after its probes)
// still says old, to the new one when its own /status (asked before its probes) already says
// new. A round in between is neither's.
std::optional<Downtime> downtime_by_incarnation(const std::vector<Round>& rounds, Clock::time_point requested) {
  const int old = *rounds.front().incarnation;
  std::size_t first_new = rounds.size(), last_old_status = 0;
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    if (rounds[i].incarnation == old) last_old_status = i;
    if (rounds[i].incarnation > old && first_new == rounds.size()) first_new = i;
  }
  std::optional<Clock::time_point> last_old_live, first_new_started;
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    const Round& round = rounds[i];
    bool old_one = round.startup.answered < requested || (i < last_old_status && i < first_new);
    if (old_one && round.live.status == 200) last_old_live = round.live.answered;
    if (i >= first_new && is_started(round.startup) && !first_new_started) first_new_started = round.startup.answered;
  }
  if (!last_old_live || !first_new_started) return std::nullopt;
  return Downtime{*last_old_live, *first_new_started, std::nullopt};
}

// Draining is the old incarnation's end (it may still answer /healthz); after it, no answer or
// "starting" is the new one's start.
std::optional<Downtime> downtime_by_down_round(const std::vector<Round>& rounds, Clock::time_point requested) {
  auto renewed = std::find_if(first_down(rounds, requested), rounds.end(),
                              [](const Round& round) { return round.startup.startup != "draining"; });
  auto last_live = std::find_if(std::make_reverse_iterator(renewed), rounds.rend(),
                                [](const Round& round) { return round.live.status == 200; });
  auto started = std::find_if(renewed, rounds.end(), [](const Round& round) { return is_started(round.startup); });
  if (renewed == rounds.end() || last_live == rounds.rend() || started == rounds.end()) return std::nullopt;
  return Downtime{last_live->live.answered, started->startup.answered, std::nullopt};
}

}  // namespace

std::optional<Downtime> downtime_in_process(const std::vector<Round>& rounds, Clock::time_point requested) {
  if (rounds.empty()) return std::nullopt;
  if (rounds.front().incarnation) return downtime_by_incarnation(rounds, requested);
  return downtime_by_down_round(rounds, requested);
}

bool restarted_in_process(const std::vector<Round>& rounds, Clock::time_point requested) {
  if (rounds.empty() || rounds.back().down()) return false;
  if (rounds.front().incarnation) return rounds.back().incarnation > rounds.front().incarnation;
  return first_down(rounds, requested) != rounds.end();
}

double median_round_ms(const std::vector<Round>& rounds) {
  if (rounds.size() < 2) return 0;
  std::vector<double> gaps;
  for (std::size_t i = 1; i < rounds.size(); ++i)
    gaps.push_back(std::chrono::duration<double, std::milli>(rounds[i].sent - rounds[i - 1].sent).count());
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2), gaps.end());
  return gaps[gaps.size() / 2];
}

}  // namespace moltbot::bench
