#include "run_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstring>
#include <functional>
#include <iostream>
#include <utility>

#include "moltbot/common/host_accounts.h"
#include "moltbot/common/signal_names.h"
#include "moltbot/config/check_manifest.h"
#include "moltbot/config/render.h"
#include "moltbot/runtime/fleet.h"
#include "moltbot/runtime/guarded.h"
#include "moltbot/runtime/kept_socket.h"
#include "moltbot/runtime/reaper.h"
#include "moltbot/runtime/resource_guard.h"
#include "moltbot/runtime/status_json.h"
#include "control_socket.h"
#include "descriptor_limit.h"
#include "reexec.h"
#include "metrics_endpoint.h"
#include "reload.h"
#include "supervisor_log.h"
#include "systemd_notifier.h"

namespace moltbot::daemon {

namespace {

using runtime::ProfileEvent;
using runtime::State;

// Descriptors 0-2 must exist: otherwise a pipe or lock file lands on them and a child's dup2
// of its stdout would clobber it.
void ensure_standard_descriptors() {
  for (int fd = 0; fd <= 2; ++fd)
    if (::fcntl(fd, F_GETFD) < 0) ::open("/dev/null", O_RDWR);
}

spdlog::level::level_enum level_of(const ProfileEvent& event) {
  switch (event.current) {
    case State::fatal: return spdlog::level::err;
    case State::backoff:
    case State::unhealthy: return spdlog::level::warn;
    default: return spdlog::level::info;
  }
}

void log_event(const ProfileEvent& event) {
  if (event.kind == ProfileEvent::Kind::readiness) {
    spdlog::info("profile {}: readiness: {}", event.profile, event.message);
    return;
  }
  if (event.kind == ProfileEvent::Kind::reload) {
    spdlog::info("profile {}: {}", event.profile, event.message);
    return;
  }
  if (event.kind == ProfileEvent::Kind::planned_restart) {
    spdlog::info("profile {}: planned restart: {}", event.profile, event.message);
    return;
  }
  spdlog::log(level_of(event), "profile {}: {} -> {}: {}", event.profile, runtime::to_string(event.previous),
              runtime::to_string(event.current), event.message);
}

struct CreatedFleet {
  std::unique_ptr<runtime::Fleet> fleet;
  config::Manifest manifest;  // in effect: what a reload compares a new one with
  config::SupervisorSettings settings;
  std::string manifest_path;  // absolute
  std::string manifest_text;
  std::size_t profile_count = 0;
};

// Checks the manifest as `check` does (diagnostics on stderr; warnings do not stop a valid
// fleet) and creates its fleet, or returns the exit status. The checked manifest ends here: it
// holds the source location of every field, which only diagnostics need. After a re-exec, the
// manifest in effect is the one handed over, and so is the fleet.
std::variant<CreatedFleet, int> check_and_create(const RunOptions& options, const Environment& env,
                                                 boost::asio::io_context& io, runtime::Reaper& reaper,
                                                 runtime::ResourceGuard& resources, runtime::CrashHandover& crash) {
  const auto& handed_over = options.handed_over;
  auto checked = handed_over ? config::check_manifest_text(handed_over->at("manifest_text").get<std::string>(),
                                                           options.manifest_path, env)
                             : config::check_manifest(options.manifest_path, env);
  if (checked.file_error) {
    std::cerr << config::render_text(*checked.file_error);
    return exit_unreadable;
  }
  print_manifest_diagnostics(checked.diagnostics);
  if (!checked.runnable()) {
    spdlog::error("{}: invalid manifest, nothing started", options.manifest_path);
    return exit_bad_manifest;
  }
  const auto& manifest = *checked.manifest;
  if (manifest.supervisor.on_crash == config::OnCrash::adopt) crash.store = runtime::FdStore::from_environment(env);
  auto created = runtime::Fleet::create(io, reaper, resources, manifest, env,
                                        handed_over ? &handed_over->at("fleet") : nullptr, &crash);
  if (auto* problems = std::get_if<std::vector<std::string>>(&created)) {
    for (const auto& problem : *problems) spdlog::error("{}", problem);
    spdlog::error("refusing to start: nothing was started");
    return exit_profile_taken;
  }
  return CreatedFleet{std::move(std::get<std::unique_ptr<runtime::Fleet>>(created)), manifest, manifest.supervisor,
                      manifest.path, std::move(checked.text), manifest.profiles.size()};
}

// The last resort of the catch boundary (guarded.h): every handler contains its own failures,
// and what still escapes one is logged here and the loop goes on. Ending here would end every
// gateway with the supervisor (PR_SET_PDEATHSIG).
void run_until_stopped(boost::asio::io_context& io) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& error) {
      spdlog::critical("internal error escaped an event-loop handler: {}; the supervisor goes on", error.what());
    } catch (...) {
      spdlog::critical("internal error escaped an event-loop handler: unknown exception; the supervisor goes on");
    }
  }
}

// So that a successor started after a crash keeps serving on the same socket, and no client sees it
// refused meanwhile: connections queue on the listener.
void keep_control_socket(const runtime::FdStore& store, int listening_fd) {
  if (int error = store.store(runtime::control_fd_name, listening_fd); error != 0)
    spdlog::warn("cannot keep the control socket in the service manager's descriptor store: {}", std::strerror(error));
}

}  // namespace

int run_fleet(const RunOptions& options, const Environment& env) {
  ensure_standard_descriptors();
  // Whatever the supervisor or a gateway creates without naming a mode is nobody else's: 027
  // rather than 077 leaves group read, which socket_group's operators use (logs, status file).
  ::umask(027);
  configure_supervisor_log(env);
  if (auto problem = runtime::configure_test_throw(env)) {
    spdlog::error("{}", *problem);
    return exit_bad_test_fault;
  }

  // Helpers a gateway spawned in other process groups are re-parented to us when it dies, so
  // they are found, stopped and reaped with it instead of escaping to init.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) spdlog::warn("cannot become a child subreaper: orphaned helpers escape");
  ::signal(SIGPIPE, SIG_IGN);
  // Before the profiles' locks and logs are opened: a large fleet needs the room.
  const auto limit = raise_descriptor_limit();

  boost::asio::io_context io;
  runtime::Reaper reaper(io);
  reaper.on_orphan([](pid_t pid, runtime::ExitStatus status) {
    spdlog::debug("reaped adopted process {}: {}", pid, status.describe());
  });
  runtime::ResourceGuard resources(io);
  runtime::CrashHandover crash{std::nullopt, runtime::PassedFds::from_environment(env)};
  auto outcome = check_and_create(options, env, io, reaper, resources, crash);
  if (auto* exit_status = std::get_if<int>(&outcome)) return *exit_status;
  auto& created = std::get<CreatedFleet>(outcome);
  spdlog::log(limit.warning ? spdlog::level::warn : spdlog::level::info, "{}", limit.text);
  auto& fleet = *created.fleet;
  const auto& settings = created.settings;
  fleet.on_event(log_event);
  std::optional<runtime::StatusFile> status_file;
  if (options.status_file)
    status_file.emplace(io, fleet, *options.status_file,
                        settings.socket_group ? group_id(*settings.socket_group) : std::nullopt);
  SystemdNotifier notifier(io, fleet, env, options.ready_when_healthy ? Readiness::healthy : Readiness::started);

  bool stopping = false;
  std::unique_ptr<ControlSocket> control;
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  auto stop_fleet = [&](const std::string& cause) {
    if (std::exchange(stopping, true)) {
      spdlog::info("{}: already stopping", cause);
      return;
    }
    spdlog::info("{}: stopping every profile", cause);
    notifier.stopping();
    fleet.stop_all([&] {
      spdlog::info("every profile stopped");
      if (status_file) runtime::guarded(runtime::Handler::status_file, [&] { status_file->write_now(); });
      if (control) control->close();
      if (metrics_server) metrics_server->stop();
      if (crash.store) crash.store->remove(runtime::control_fd_name);  // the socket file is gone with it
      io.stop();
    });
  };

  boost::asio::signal_set stop_signals(io, SIGTERM, SIGINT);
  std::function<void(const boost::system::error_code&, int)> on_stop_signal;
  on_stop_signal = [&](const boost::system::error_code& error, int signal) {
    if (error) return;
    stop_signals.async_wait(on_stop_signal);  // later signals are absorbed, not fatal
    runtime::guarded(runtime::Handler::signal, [&] { stop_fleet(fmt::format("{} received", signal_name(signal))); });
  };
  stop_signals.async_wait(on_stop_signal);

  ManifestReloader reloader(options.manifest_path, env, fleet, settings, std::move(created.manifest),
                            std::move(created.manifest_text),
                            [&](std::vector<config::ControlGrant> grants) -> std::optional<std::string> {
                              if (!control) return "the control socket is not open";
                              return control->replace_grants(std::move(grants));
                            });
  auto counters = initial_counters();
  // The one call site of a reload: SIGHUP and the `reload` command both come here.
  auto reload_manifest = [&](const std::string& cause, bool rolling = false,
                             ManifestReloader::RolloutFinished finished = {}) {
    notifier.reloading();
    auto outcome = reloader.reload(cause, rolling, std::move(finished));
    notifier.reloaded();
    count_reload(counters, outcome);
    return outcome;
  };

  boost::asio::signal_set reload_signal(io, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_reload_signal;
  on_reload_signal = [&](const boost::system::error_code& error, int) {
    if (error) return;
    reload_signal.async_wait(on_reload_signal);
    runtime::guarded(runtime::Handler::signal, [&] { reload_manifest("SIGHUP received"); });
  };
  reload_signal.async_wait(on_reload_signal);

  LiveReexec reexec(io, reaper, fleet,
                    {options.argv, options.manifest_path, [&] { return reloader.applied_text(); },
                     [&] { return control->listening_fd(); },
                     [&](int except) { return control->connections_between_requests(except); },
                     [&] {
                       if (status_file) status_file->write_now();
                       spdlog::default_logger()->flush();
                     }},
                    options.handed_over ? &*options.handed_over : nullptr);
  ControlSocket::Actions actions{
      [&] { runtime::guarded(runtime::Handler::signal, [&] { stop_fleet("shutdown requested"); }); },
      [&](bool rolling, std::function<void(nlohmann::json)> finished) {
        ManifestReloader::RolloutFinished on_report;
        if (finished)
          on_report = [finished](const runtime::RolloutReport& report) { finished(rollout_reply(report)); };
        return reload_reply(reload_manifest("reload command", rolling, std::move(on_report)));
      },
      [&](control::ReplySink& sink) { reexec.request(sink); }, [&] { return reexec.identity(); }};
  std::optional<int> listening_fd;
  if (options.handed_over)
    listening_fd = options.handed_over->at("control_fd").get<int>();
  else if (crash.store)
    listening_fd = crash.passed.take(std::string(runtime::control_fd_name));  // a predecessor's, after its crash
  auto opened = ControlSocket::open(io, fleet, settings, resources, actions, listening_fd);
  if (auto* problem = std::get_if<std::string>(&opened); problem && listening_fd && !options.handed_over) {
    spdlog::warn("{}; listening afresh", *problem);
    ::close(*listening_fd);
    listening_fd.reset();
    opened = ControlSocket::open(io, fleet, settings, resources, std::move(actions));
  }
  if (auto* problem = std::get_if<std::string>(&opened)) {
    spdlog::error("control socket: {}", *problem);
    spdlog::error("refusing to start: nothing was started");
    return exit_socket_unavailable;
  }
  control = std::move(std::get<std::unique_ptr<ControlSocket>>(opened));
  const bool kept_through_crash = listening_fd && !options.handed_over;
  spdlog::info("control socket {}{}", control->path(),
               kept_through_crash ? " (its listener kept by the service manager through a crash)" : "");
  if (crash.store && !listening_fd) keep_control_socket(*crash.store, control->listening_fd());
  for (const auto& name : crash.passed.close_untaken()) {
    spdlog::warn("the service manager passed back descriptor \"{}\", which no profile of the manifest takes: closed", name);
    if (crash.store) crash.store->remove(name);
  }
  counters.control_requests = [&] { return control->requests(); };
  metrics_server = serve_metrics(io, settings, fleet, counters);
  // Who gives descriptors back when the supervisor runs short: the kept sockets (the next probe
  // or lookup opens them again), control connections, then profile log files; never a gateway.
  runtime::keep_sockets_while([&resources] { return resources.room_for_optional(); });
  runtime::close_at_end_of_turn([&io](std::function<void()> close) { boost::asio::post(io, std::move(close)); });
  resources.add_shedder([](std::size_t) {
    const auto closed = runtime::drop_kept_sockets();
    return runtime::ResourceGuard::Shed{closed, fmt::format("{} kept socket(s)", closed)};
  });
  resources.add_shedder([&](std::size_t wanted) { return control->shed(wanted); });
  resources.add_shedder([&](std::size_t wanted) { return fleet.shed_log_files(wanted); });

  if (options.handed_over) {
    // Exits of gateways during the exec are pending: collected now that each has its watcher.
    reaper.reap();
    control->adopt(options.handed_over->at("connections").get<std::vector<int>>());
    reexec.answer_handed_over(*options.handed_over);
  } else {
    spdlog::info("running {} profiles from {}", created.profile_count, created.manifest_path);
    fleet.start_all();
  }
  if (status_file) status_file->write_now();
  notifier.fleet_started();
  run_until_stopped(io);
  runtime::keep_sockets_while(nullptr);  // `resources` ends with this scope
  runtime::close_at_end_of_turn(nullptr);
  return exit_stopped;
}

}  // namespace moltbot::daemon
