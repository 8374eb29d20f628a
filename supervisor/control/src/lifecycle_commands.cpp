#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "moltbot/common/signal_names.h"
#include "moltbot/common/visible_text.h"
#include "moltbot/control/fleet_commands.h"
#include "moltbot/control/grant_audit.h"
#include "moltbot/control/profile_wait.h"

namespace moltbot::control {

using nlohmann::json;

namespace {

constexpr long default_wait_ms = 60000;
constexpr long max_wait_ms = 3600 * 1000;

struct Targets {
  std::vector<std::string> profiles;
  std::vector<std::string> skipped;  // rescue profiles left out of `all`
};

// `all` never includes a rescue profile unless include_rescue is set; a named profile is itself.
// For a peer served through grants, `all` is every profile granted the command (and no other is
// named, not even as skipped); the targets are authorized and audited.
Targets resolve_targets(const FleetCommandContext& context, const Request& request) {
  auto target = string_arg(request, "target");
  Targets targets;
  if (target != "all") {
    authorize(request, {target}, context.feeds);
    profile_runner(context.fleet, target);
    targets.profiles.push_back(target);
    return targets;
  }
  const bool include_rescue = bool_arg_or(request, "include_rescue", false);
  for (const auto& status : context.fleet.status())
    (status.role == Role::rescue && !include_rescue ? targets.skipped : targets.profiles).push_back(status.name);
  if (request.peer.grants) {
    targets.profiles = granted_only(request, std::move(targets.profiles));
    targets.skipped = granted_only(request, std::move(targets.skipped));
    authorize(request, targets.profiles, context.feeds);
  }
  return targets;
}

using Action = void (runtime::ProfileRunner::*)();

void add_action(CommandRegistry& commands, const FleetCommandContext& context, const std::string& name, Action action,
                ProfileWait::Goal goal) {
  commands.add(name, [context, action, goal](const Request& request, ReplySink& sink) -> std::optional<json> {
    auto targets = resolve_targets(context, request);
    const bool wait = bool_arg_or(request, "wait", false);
    const auto timeout = std::chrono::milliseconds(number_arg_or(request, "timeout_ms", default_wait_ms, 1, max_wait_ms));
    auto act = [&] {
      for (const auto& profile : targets.profiles) (profile_runner(context.fleet, profile).*action)();
    };
    json data{{"profiles", targets.profiles}, {"skipped", targets.skipped}};
    if (!wait) {
      act();
      return data;
    }
    ProfileWait::begin(context, sink, std::move(data), targets.profiles, goal, timeout, act);
    return std::nullopt;
  });
}

}  // namespace

void add_lifecycle_commands(CommandRegistry& commands, const FleetCommandContext& context) {
  using runtime::ProfileRunner;
  add_action(commands, context, "start", &ProfileRunner::start, ProfileWait::Goal::running);
  add_action(commands, context, "stop", &ProfileRunner::stop, ProfileWait::Goal::stopped);
  add_action(commands, context, "restart", &ProfileRunner::restart, ProfileWait::Goal::running);

  auto& fleet = context.fleet;
  auto& feeds = context.feeds;
  // A peer served through grants: authorized (and audited) before the profile is looked up, so it
  // learns nothing of profiles it has no grant on.
  const auto granted_runner = [&fleet, &feeds](const Request& request) -> runtime::ProfileRunner& {
    auto profile = string_arg(request, "profile");
    authorize(request, {profile}, feeds);
    return profile_runner(fleet, profile);
  };
  commands.add("reset", [granted_runner](const Request& request, ReplySink&) -> std::optional<json> {
    auto& runner = granted_runner(request);
    runner.reset();
    return json{{"profile", runner.profile().name}, {"state", runtime::to_string(runner.status().state)}};
  });
  commands.add("signal", [granted_runner](const Request& request, ReplySink&) -> std::optional<json> {
    auto name = string_arg(request, "signal");
    auto signal = parse_signal(name);
    if (!signal)
      throw CommandError("bad-argument", "signal: " + quoted_visible(name) + " is not a signal name or number");
    auto& runner = granted_runner(request);
    // The child is ours and not reaped yet while status shows its pid, so the pid cannot have
    // been reused by another process.
    const pid_t pid = runner.status().pid;
    if (pid == 0) throw CommandError("not-running", "profile \"" + runner.profile().name + "\" has no running child");
    if (::kill(pid, *signal) != 0)
      throw CommandError("system", fmt::format("kill({}, {}): {}", pid, signal_name(*signal), std::strerror(errno)));
    return json{{"profile", runner.profile().name}, {"pid", pid}, {"signal", signal_name(*signal)}};
  });
  commands.add("shutdown", [context](const Request&, ReplySink&) -> std::optional<json> {
    // After this reply is on its way: the shutdown may close every connection at once.
    boost::asio::post(context.io, context.shutdown);
    return json{{"stopping", true}};
  });
  commands.add("reload", [context](const Request& request, ReplySink& sink) -> std::optional<json> {
    const bool rolling = bool_arg_or(request, "rolling", false);
    if (!bool_arg_or(request, "wait", false)) return context.reload(rolling, nullptr);
    // Every event until the rollout is over, as `start --wait` shows its progress. The rollout
    // may outlive the client: then nobody is told.
    struct Waiting {
      bool finished = false;
      bool connected = true;
    };
    auto waiting = std::make_shared<Waiting>();
    sink.keep_until_closed(std::shared_ptr<void>(nullptr, [waiting](void*) { waiting->connected = false; }));
    sink.keep_until_closed(context.feeds.events.subscribe([&sink, waiting](const json& event) {
      sink.run_guarded(runtime::Handler::wait, [&] {
        if (!waiting->finished && event["kind"] != "audit") sink.send_stream(stream_message("progress", event));
      });
    }));
    auto data = context.reload(rolling, [&sink, waiting](json reply) {
      waiting->finished = true;
      if (waiting->connected) sink.run_guarded(runtime::Handler::wait, [&] { sink.send(reply); });
    });
    if (data.value("rollout", "") == "started") return std::nullopt;  // `finished` replies
    waiting->finished = true;
    return data;
  });
  commands.add("reexec", [context](const Request& request, ReplySink& sink) -> std::optional<json> {
    if (!request.peer.privileged)
      throw CommandError("not-permitted", fmt::format("reexec replaces the supervisor's program: only root or uid {} "
                                                      "may ask for it (this is uid {}, admitted as a member of "
                                                      "socket_group)",
                                                      ::geteuid(), request.peer.uid));
    context.reexec(sink);
    return std::nullopt;  // answered on the connection itself, by whichever image runs then
  });
}

}  // namespace moltbot::control
