#include "moltbot/runtime/profile_process.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <filesystem>
#include <utility>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "moltbot/common/directory_trust.h"
#include "moltbot/config/run_as.h"
#include "moltbot/common/program_lookup.h"
#include "moltbot/config/gateway_config_seed.h"
#include "moltbot/config/manifest_diff.h"
#include "moltbot/runtime/cli_run.h"
#include "moltbot/runtime/guarded.h"
#include "moltbot/runtime/port_preflight.h"
#include "moltbot/runtime/profile_cli.h"
#include "moltbot/runtime/process_marker.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

namespace {

const char* probe_name(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::liveness: return "health";
    case ProbeKind::startup: return "startup";
    case ProbeKind::readiness: return "readiness";
  }
  return "health";
}

}  // namespace

ProfileProcess::ProfileProcess(boost::asio::io_context& io, Reaper& reaper, ResourceGuard& resources,
                               std::shared_ptr<const config::Profile> profile,
                               std::shared_ptr<const Environment> supervisor_env, std::shared_ptr<ProfileLog> log,
                               std::shared_ptr<HandoffSupportCache> handoffs,
                               std::unique_ptr<ProfileMembers> members, std::string instance,
                               const DirectoryTrust& trust, const FdStore* crash_store)
    : io_(io),
      reaper_(reaper),
      resources_(resources),
      profile_(std::move(profile)),
      supervisor_env_(std::move(supervisor_env)),
      launches_(*profile_, *supervisor_env_),
      log_(std::move(log)),
      handoffs_(std::move(handoffs)),
      members_(std::move(members)),
      instance_(std::move(instance)),
      trust_(trust),
      crash_store_(crash_store),
      entry_hash_(crash_store ? config::entry_hash(*profile_) : 0) {
  for (const auto& line : members_->unenforced_limits) {
    spdlog::warn("profile {}: {}", profile_->name, line);
    log_->supervisor_line(line);
  }
}

ProfileProcess::~ProfileProcess() {
  if (pid_ != 0 && !adopted_exit_) reaper_.forget(pid_);
}

template <typename Step>
auto ProfileProcess::retried_after_shortage(const std::string& what, Step step) {
  auto result = step();
  if (auto* shortage = std::get_if<Shortage>(&result)) {
    resources_.shortage(what, *shortage);
    result = step();
  }
  return result;
}

Prepared ProfileProcess::prepare() {
  // Checked again at every start: a folder made unsafe since it was first checked stops here.
  if (auto problem = config::make_trusted_gateway_folders(*profile_, trust_)) return Refusal{*problem};
  if (claim_state_dir_)
    if (auto problem = claim_state_dir_()) return Refusal{*problem};
  // Without the file the gateway's own CLI (`openclaw --profile NAME ...`) would not find this
  // gateway on its port.
  auto seeded = retried_after_shortage("creating the gateway config of profile " + profile_->name,
                                       [&]() -> std::variant<config::ConfigSeed, Shortage> {
                                         auto seed = config::seed_gateway_config(*profile_);
                                         if (seed.error && is_shortage(seed.error_number))
                                           return Shortage{*seed.error, seed.error_number};
                                         return seed;
                                       });
  if (auto* shortage = std::get_if<Shortage>(&seeded)) return *shortage;
  const auto& seed = std::get<config::ConfigSeed>(seeded);
  if (seed.error) return *seed.error;
  if (seed.created) note(fmt::format("created {} (mode 0600) with {}", profile_->config_path, seed.settings));
  return std::monostate{};
}

std::optional<std::string> ProfileProcess::port_conflict() {
  auto conflict = retried_after_shortage("checking the ports of profile " + profile_->name,
                                         [&] { return find_port_conflict(profile_->ports); });
  if (auto* shortage = std::get_if<Shortage>(&conflict))
    return "the supervisor could not check the ports: " + shortage->message;
  const auto& found = std::get<std::optional<PortConflict>>(conflict);
  if (!found) return std::nullopt;
  return found->message;
}

Spawned ProfileProcess::start_child(const gateway::LaunchSpec& spec, int& output) {
  auto join = members_->open_join_fd();
  if (!std::holds_alternative<int>(join)) return std::visit([](auto& failure) -> Spawned { return failure; }, join);
  const int cgroup_fd = std::get<int>(join);
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0) {
    const int error = errno;
    if (cgroup_fd >= 0) ::close(cgroup_fd);
    if (is_shortage(error)) return shortage_of("pipe", error);
    return fmt::format("pipe: {}", std::strerror(error));
  }
  auto spawned = runtime::spawn(spec.argv, spec.env, spec.working_dir, pipe[1], SpawnRequest::same_as_output, cgroup_fd,
                                crash_store_ ? OnParentDeath::live_on : OnParentDeath::die, spec.run_as,
                                /*input_fd=*/-1, &members_->child_limits);
  ::close(pipe[1]);
  if (cgroup_fd >= 0) ::close(cgroup_fd);
  if (std::holds_alternative<pid_t>(spawned))
    output = pipe[0];
  else
    ::close(pipe[0]);
  return spawned;
}

Spawned ProfileProcess::spawn(std::function<void(ExitStatus)> on_exit) {
  auto launch = launches_.next(support_.mode);
  if (auto* error = std::get_if<std::string>(&launch)) return *error;
  spawned_mode_ = support_.mode;
  auto& spec = *std::get<gateway::LaunchSpec*>(launch);
  // Before anything about this start is written: the exec note below shows the command line.
  log_->set_secrets(std::move(spec.secrets));
  note_restart_mode();
  add_marker(spec.env, profile_->name, instance_);

  int output = -1;
  auto spawned = retried_after_shortage("starting profile " + profile_->name, [&] { return start_child(spec, output); });
  // Kept only for the health command, which runs in the gateway's environment.
  child_env_ = profile_->health.type == config::HealthType::exec ? std::move(spec.env) : Environment{};
  spec.env = {};
  if (!std::holds_alternative<pid_t>(spawned)) return spawned;
  pid_ = std::get<pid_t>(spawned);
  members_->started(pid_);
  note(fmt::format("exec {} (pid {})", fmt::join(spec.argv, " "), pid_));
  if (crash_store_) keep_for_successor(output);
  watch_child(ChildOutput::start(io_, output, log_), std::move(on_exit));
  return pid_;
}

void ProfileProcess::keep_for_successor(int output) {
  // Either failing costs only the adoption after a crash (the successor then ends this child and
  // starts another); it is said, and the start goes on.
  if (int error = crash_store_->store(output_fd_name(profile_->name), output); error != 0)
    note(fmt::format("cannot keep the output pipe in the service manager's descriptor store: {}; a supervisor "
                     "started after a crash will restart this gateway",
                     std::strerror(error)));
  auto record = describe_child(pid_, entry_hash_, instance_, spawned_mode_);
  if (!record) return;  // gone already: its exit is on its way
  if (auto error = record_child(profile_->state_dir, *record))
    note(*error + "; a supervisor started after a crash will not find this gateway");
}

void ProfileProcess::child_gone() {
  pid_ = 0;
  members_->leader_reaped();
  adopted_exit_.reset();
  if (!crash_store_) return;
  forget_child(profile_->state_dir);
  crash_store_->remove(output_fd_name(profile_->name));
}

void ProfileProcess::watch_child(std::shared_ptr<ChildOutput> output, std::function<void(ExitStatus)> on_exit) {
  output_ = output;
  reaper_.watch(pid_, [weak = weak_from_this(), output, on_exit = std::move(on_exit)](ExitStatus status) {
    // The pipe holds the child's last words (often why it died): log them before the exit.
    if (output) output->drain_now();
    if (auto self = weak.lock()) self->child_gone();
    on_exit(status);
  });
}

void ProfileProcess::watch_adopted(int pidfd, std::shared_ptr<ChildOutput> output,
                                   std::function<void(ExitStatus)> on_exit) {
  output_ = output;
  adopted_exit_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, pidfd);
  adopted_exit_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                            [weak = weak_from_this(), output, on_exit = std::move(on_exit)](
                                const boost::system::error_code& error) {
                              if (error) return;  // operation_aborted: this process object is going away
                              guarded(Handler::reaper, [&] {
                                if (output) output->drain_now();
                                if (auto self = weak.lock()) self->child_gone();
                                on_exit(ExitStatus::unknown());
                              });
                            });
}

std::chrono::milliseconds ProfileProcess::adopt(RecordedChild child, int output,
                                                std::function<void(ExitStatus)> on_exit) {
  spawned_mode_ = support_.mode = child.record.restart_mode;
  support_.detail = "as the gateway was started by the supervisor before a crash";
  take_launch_secrets();
  pid_ = child.record.process.pid;
  members_->started(pid_);
  note(fmt::format("adopted pid {}, left running by a supervisor that ended without stopping it", pid_));
  watch_adopted(child.pidfd.release(), ChildOutput::resume(io_, {output, ""}, log_), std::move(on_exit));
  return process_age(child.record.process);
}

nlohmann::json ProfileProcess::snapshot(std::vector<int>& keep_open) {
  nlohmann::json output = nullptr;
  if (auto current = output_.lock(); current && pid_ != 0)
    if (auto handover = current->handover()) {
      keep_open.push_back(handover->fd);
      output = {{"fd", handover->fd}, {"partial", handover->partial}};
    }
  const auto mode_name = [](config::RestartMode mode) { return mode == config::RestartMode::external ? "external" : "in-process"; };
  nlohmann::json adopted = nullptr;
  if (adopted_exit_) {
    keep_open.push_back(adopted_exit_->native_handle());
    adopted = adopted_exit_->native_handle();
  }
  return {{"pid", pid_},
          {"output", output},
          {"adopted_pidfd", adopted},
          {"spawned_mode", mode_name(spawned_mode_)},
          {"support", {{"mode", mode_name(support_.mode)}, {"detail", support_.detail}}}};
}

void ProfileProcess::restore(const nlohmann::json& state, std::function<void(ExitStatus)> on_exit) {
  const auto mode_of = [](const nlohmann::json& name) {
    return name == "external" ? config::RestartMode::external : config::RestartMode::in_process;
  };
  spawned_mode_ = mode_of(state.at("spawned_mode"));
  support_ = {mode_of(state.at("support").at("mode")), state.at("support").at("detail").get<std::string>()};
  noted_support_ = support_;  // the log says it already
  take_launch_secrets();
  pid_ = state.at("pid").get<pid_t>();
  if (pid_ == 0) return;
  members_->started(pid_);
  const auto& output = state.at("output");  // null: the child closed its pipe, its exit is still to come
  auto resumed = output.is_null() ? nullptr
                                  : ChildOutput::resume(io_, {output.at("fd").get<int>(), output.at("partial").get<std::string>()},
                                                        log_);
  // Written by this build's predecessors alike; absent before adoption existed.
  if (const auto adopted = state.value("adopted_pidfd", nlohmann::json()); !adopted.is_null())
    return watch_adopted(adopted.get<int>(), std::move(resumed), std::move(on_exit));
  watch_child(std::move(resumed), std::move(on_exit));
}

void ProfileProcess::take_launch_secrets() {
  if (auto launch = launches_.next(spawned_mode_); auto* spec = std::get_if<gateway::LaunchSpec*>(&launch)) {
    log_->set_secrets(std::move((*spec)->secrets));
    if (profile_->health.type == config::HealthType::exec) child_env_ = std::move((*spec)->env);
    (*spec)->env = {};
  }
}

bool ProfileProcess::settle_restart_mode(std::function<void()> settled) {
  if (profile_->cli.empty()) {
    set_support({config::RestartMode::in_process, "cli: [] in the manifest"});
    return true;
  }
  if (auto error = resolve_cli()) {
    set_support({config::RestartMode::in_process, "capabilities probe: " + *error});
    return true;
  }
  // The respawn path: one stat of the CLI's program, no environment built.
  if (auto known = handoffs_->known(cli_argv_.front())) {
    set_support(std::move(*known));
    return true;
  }
  auto probe = cli_request(capabilities_arguments(), config::RestartMode::external);
  if (auto* error = std::get_if<std::string>(&probe)) {
    set_support({config::RestartMode::in_process, "capabilities probe: " + *error});
    return true;
  }
  handoffs_->ask(std::get<SpawnRequest>(probe),
                 [weak = weak_from_this(), settled = std::move(settled)](const HandoffSupport& support) {
                   if (auto self = weak.lock()) self->set_support(support);
                   settled();
                 });
  return false;
}

void ProfileProcess::set_support(HandoffSupport support) { support_ = std::move(support); }

void ProfileProcess::note_restart_mode() {
  if (noted_support_ && noted_support_->mode == support_.mode && noted_support_->detail == support_.detail) return;
  noted_support_ = support_;
  note(support_.mode == config::RestartMode::external
           ? fmt::format("restart mode: external supervisor, restarts the gateway plans are handed off to us ({})",
                         support_.detail)
           : fmt::format("restart mode: in-process (OPENCLAW_NO_RESPAWN=1): {}", support_.detail));
}

std::optional<std::string> ProfileProcess::resolve_cli() {
  if (!cli_argv_.empty()) return std::nullopt;
  auto resolved = resolve_profile_cli(*profile_, *supervisor_env_);
  if (auto* error = std::get_if<std::string>(&resolved)) return *error;
  cli_argv_ = std::move(std::get<std::vector<std::string>>(resolved));
  return std::nullopt;
}

std::variant<SpawnRequest, std::string> ProfileProcess::cli_request(const std::vector<std::string>& arguments,
                                                                    config::RestartMode mode) {
  if (auto error = resolve_cli()) return *error;
  auto child = config::child_environment(*profile_, *supervisor_env_, mode);
  if (child.error) return *child.error;
  auto argv = cli_argv_;
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return profile_request(*profile_, std::move(argv), std::move(child.env));
}

void ProfileProcess::consume_handoff(pid_t pid, std::function<void(HandoffVerdict)> done) {
  run_consume(pid, std::move(done), true);
}

void ProfileProcess::run_consume(pid_t pid, std::function<void(HandoffVerdict)> done, bool may_retry) {
  auto request = cli_request(consume_arguments(pid), config::RestartMode::external);
  if (auto* error = std::get_if<std::string>(&request)) {
    boost::asio::post(io_, [done = std::move(done), error = *error] { done({false, "consume failed: " + error}); });
    return;
  }
  run_cli(io_, reaper_, std::move(std::get<SpawnRequest>(request)), cli_timeout,
          [weak = weak_from_this(), pid, done = std::move(done), may_retry](const CliOutcome& outcome) mutable {
            auto verdict = parse_consume(outcome);
            auto self = weak.lock();
            if (!verdict.unknown || !may_retry || !self) return done(std::move(verdict));
            self->resources_.shortage("asking the CLI of profile " + self->profile_->name + " about its exit",
                                      *outcome.shortage);
            self->run_consume(pid, std::move(done), false);
          });
}

std::variant<Environment, std::string> ProfileProcess::exec_environment() const {
  auto child = config::child_environment(*profile_, *supervisor_env_, support_.mode);
  if (child.error) return *child.error;
  return std::move(child.env);
}

std::variant<ProfileProcess::Command, std::string> ProfileProcess::exec_request(std::vector<std::string> argv) const {
  auto child = config::child_environment(*profile_, *supervisor_env_, support_.mode);
  if (child.error) return *child.error;
  return Command{profile_request(*profile_, std::move(argv), std::move(child.env)), std::move(child.secrets)};
}

void ProfileProcess::note(const std::string& line) { log_->supervisor_line(line); }

std::optional<RunningLeader> ProfileProcess::running_leader() const {
  if (pid_ == 0) return std::nullopt;
  return RunningLeader{pid_, adopted_exit_ ? adopted_exit_->native_handle() : -1};
}

void ProfileProcess::signal_all(int signal) {
  auto leader = running_leader();
  members_->signal_all(signal, leader ? &*leader : nullptr);
}

bool ProfileProcess::has_leftovers() { return members_->has_leftovers(); }

const ResourceSample& ProfileProcess::resources(std::optional<std::chrono::milliseconds> uptime) {
  return resource_sampler_.sample(SteadyClock::now(), pid_, uptime, [this] { return members_->usage(pid_); });
}

void ProfileProcess::probe(ProbeKind kind, ProbeCallback done) {
  const auto began = SteadyClock::now();
  probe_once(kind, [weak = weak_from_this(), kind, began, done = std::move(done)](ProbeResult result) mutable {
    auto self = weak.lock();
    if (!self) return;
    if (!result.shortage) {
      if (kind == ProbeKind::liveness)
        self->probe_durations_.observe(std::chrono::duration<double>(SteadyClock::now() - began).count());
      return done(std::move(result));
    }
    self->resources_.shortage(fmt::format("{} probe of profile {}", probe_name(kind), self->profile_->name),
                              *result.shortage);
    self->probe_once(kind, std::move(done));  // with the room the guard made; its answer stands
  });
}

void ProfileProcess::probe_once(ProbeKind kind, ProbeCallback done) {
  const auto& health = profile_->health;
  int port = profile_->ports.gateway;
  auto verify = [weak = weak_from_this(), done](ProbeResult result) {
    auto self = weak.lock();
    if (!self) return;
    // A check that throws is a failed probe, with the reason: counted as any failed probe.
    guarded(
        Handler::probe, self->profile_->name, [&] { self->check_ownership(std::move(result), done); },
        [&](const std::string& failure) { done({false, failure}); });
  };
  if (kind == ProbeKind::readiness) return probe_http(io_, port, health.ready_path.value_or("/readyz"), health.timeout, verify);
  if (kind == ProbeKind::startup) return probe_startup(io_, port, health.startup_path.value_or("/startupz"), health.timeout, verify);
  switch (health.type) {
    case config::HealthType::tcp: return probe_tcp(io_, port, health.timeout, verify);
    case config::HealthType::http: return probe_http(io_, port, health.path, health.timeout, verify);
    case config::HealthType::exec:
      members_->refresh_record(pid_);  // as after a listener check
      return probe_exec(io_, reaper_, health.command, child_env_, profile_->state_dir, health.timeout, std::move(done),
                        config::switched_account(*profile_));
    case config::HealthType::none: return done({true, "not checked"});
  }
}

void ProfileProcess::check_ownership(ProbeResult result, const ProbeCallback& done) {
  if (pid_ == 0) return done(std::move(result));
  members_->refresh_record(pid_);
  if (!result.ok) return done(std::move(result));
  auto listener = listener_ownership_.check(profile_->ports.gateway, pid_, [this] { return members_->family(pid_); });
  if (listener.verdict == ListenerCheck::Verdict::owned) return done(std::move(result));
  done({false, fmt::format("{} answered, but {}", result.detail, listener.description), listener.shortage});
}

}  // namespace moltbot::runtime
