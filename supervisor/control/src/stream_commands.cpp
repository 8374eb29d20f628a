#include <time.h>

#include <fmt/format.h>

#include <chrono>

#include "moltbot/control/fleet_commands.h"
#include "moltbot/control/grant_audit.h"

namespace moltbot::control {

using nlohmann::json;

std::string utc_timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto seconds = system_clock::to_time_t(now);
  auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

namespace {

constexpr long max_log_lines = 10000;
// What a `logs` reply holds at most of the tail (or its newest line alone, when that is longer):
// older lines go before it, one `log` line each, so no message grows with -n.
constexpr std::size_t reply_log_bytes = 64 * 1024;

const char* kind_name(runtime::ProfileEvent::Kind kind) {
  switch (kind) {
    case runtime::ProfileEvent::Kind::state: return "state";
    case runtime::ProfileEvent::Kind::readiness: return "readiness";
    case runtime::ProfileEvent::Kind::reload: return "reload";
    case runtime::ProfileEvent::Kind::planned_restart: return "planned-restart";
    case runtime::ProfileEvent::Kind::rollout: return "rollout";
  }
  return "state";
}

json event_json(const runtime::ProfileEvent& event) {
  const bool has_states = event.kind != runtime::ProfileEvent::Kind::readiness;
  return {{"time", utc_timestamp()},
          {"profile", event.profile},
          {"kind", kind_name(event.kind)},
          {"from", has_states ? json(runtime::to_string(event.previous)) : json(nullptr)},
          {"to", has_states ? json(runtime::to_string(event.current)) : json(nullptr)},
          {"message", event.message}};
}

}  // namespace

FleetFeeds::FleetFeeds(runtime::Fleet& fleet) {
  // Most of the time nobody follows: no timestamp, no JSON for every event and child line then.
  fleet.on_event([this](const runtime::ProfileEvent& event) {
    if (events.has_subscribers()) events.publish(event_json(event));
  });
  fleet.on_log_line([this](const std::string& profile, const std::string& line) {
    if (logs.has_subscribers()) logs.publish(json{{"profile", profile}, {"text", line}});
  });
}

void add_stream_commands(CommandRegistry& commands, const FleetCommandContext& context) {
  auto& fleet = context.fleet;
  auto& feeds = context.feeds;
  commands.add("logs", [&fleet, &feeds](const Request& request, ReplySink& sink) -> std::optional<json> {
    auto profile = string_arg(request, "profile");
    authorize(request, {profile}, feeds);
    profile_runner(fleet, profile);  // names the profile in the error when it does not exist
    auto lines = number_arg_or(request, "lines", 20, 0, max_log_lines);
    const auto tail = *fleet.log_tail(profile, static_cast<std::size_t>(lines));
    std::size_t first = tail.size(), bytes = 0;
    while (first > 0 && (first == tail.size() || bytes + tail[first - 1].size() <= reply_log_bytes))
      bytes += tail[--first].size();
    for (std::size_t older = 0; older < first; ++older) sink.send(stream_message("log", tail[older]));
    json data{{"profile", profile},
              {"lines", std::vector<std::string>(tail.begin() + static_cast<std::ptrdiff_t>(first), tail.end())}};
    if (!bool_arg_or(request, "follow", false)) return data;
    sink.send(ok_reply(std::move(data)));
    // The subscription lives exactly as long as the client's connection.
    sink.keep_until_closed(feeds.logs.subscribe([&sink, profile](const json& line) {
      sink.run_guarded(runtime::Handler::stream, [&] {
        if (line["profile"] == profile) sink.send_stream(stream_message("log", line["text"]));
      });
    }));
    return std::nullopt;
  });
  commands.add("events", [&fleet, &feeds](const Request& request, ReplySink& sink) -> std::optional<json> {
    if (request.peer.grants) {
      std::vector<std::string> profiles;
      for (const auto& status : fleet.status()) profiles.push_back(status.name);
      authorize(request, granted_only(request, std::move(profiles)), feeds);
    }
    sink.send(ok_reply(json{{"streaming", "events"}}));
    sink.keep_until_closed(feeds.events.subscribe([&sink, peer = request.peer](const json& event) {
      sink.run_guarded(runtime::Handler::stream, [&] {
        if (may_see(peer, event)) sink.send_stream(stream_message("event", event));
      });
    }));
    return std::nullopt;
  });
}

}  // namespace moltbot::control
