#include "moltbot/runtime/profile_process.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <utility>

#include "moltbot/common/private_directories.h"
#include "moltbot/config/gateway_config_seed.h"
#include "moltbot/runtime/leftover_record.h"
#include "moltbot/runtime/port_preflight.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

ProfileProcess::ProfileProcess(boost::asio::io_context& io, Reaper& reaper,
                               std::shared_ptr<const config::Profile> profile,
                               std::shared_ptr<const Environment> supervisor_env, std::shared_ptr<ProfileLog> log)
    : io_(io),
      reaper_(reaper),
      profile_(std::move(profile)),
      supervisor_env_(std::move(supervisor_env)),
      launches_(*profile_, *supervisor_env_),
      log_(std::move(log)) {}

ProfileProcess::~ProfileProcess() {
  if (pid_ != 0) reaper_.forget(pid_);
}

std::optional<std::string> ProfileProcess::prepare() {
  for (const auto& dir : {profile_->state_dir, profile_->workspace})
    if (auto error = make_private_directories(dir)) return error;
  // Without the file the gateway's own CLI (`openclaw --profile NAME ...`) would not find this
  // gateway on its port.
  auto seed = config::seed_gateway_config(*profile_);
  if (seed.error) return seed.error;
  if (seed.created) note(fmt::format("created {} (mode 0600) with {}", profile_->config_path, seed.settings));
  return std::nullopt;
}

std::optional<std::string> ProfileProcess::port_conflict() {
  auto conflict = find_port_conflict(profile_->ports);
  if (!conflict) return std::nullopt;
  return conflict->message;
}

std::variant<pid_t, std::string> ProfileProcess::spawn(std::function<void(ExitStatus)> on_exit) {
  auto launch = launches_.next();
  if (auto* error = std::get_if<std::string>(&launch)) return *error;
  auto& spec = *std::get<gateway::LaunchSpec*>(launch);

  int output[2];
  if (::pipe2(output, O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));
  auto spawned = runtime::spawn(spec.argv, spec.env, spec.working_dir, output[1]);
  ::close(output[1]);
  // Kept only for the health command, which runs in the gateway's environment.
  child_env_ = profile_->health.type == config::HealthType::exec ? std::move(spec.env) : Environment{};
  spec.env = {};
  if (auto* error = std::get_if<std::string>(&spawned)) {
    ::close(output[0]);
    return *error;
  }
  pid_ = pgid_ = std::get<pid_t>(spawned);
  tracked_.clear();
  note(fmt::format("exec {} (pid {})", fmt::join(spec.argv, " "), pid_));
  auto child_output = ChildOutput::start(io_, output[0], log_);
  reaper_.watch(pid_, [weak = weak_from_this(), child_output, on_exit = std::move(on_exit)](ExitStatus status) {
    // The pipe holds the child's last words (often why it died): log them before the exit.
    child_output->drain_now();
    auto self = weak.lock();
    if (!self) return on_exit(status);
    self->pid_ = 0;
    // The notes about this exit are written once it is handled: with `backoff.initial: 0` the
    // handling spawns the replacement, whose exec should not wait for log writes. The same
    // lines in the same order, a fraction of a millisecond later.
    self->holding_notes_ = true;
    on_exit(status);
    self->write_held_notes();
  });
  return pid_;
}

std::variant<Environment, std::string> ProfileProcess::exec_environment() const {
  auto child = config::child_environment(*profile_, *supervisor_env_, restart_mode_);
  if (child.error) return *child.error;
  return std::move(child.env);
}

void ProfileProcess::note(const std::string& line) {
  if (holding_notes_)
    held_notes_.push_back(line);
  else
    log_->supervisor_line(line);
}

void ProfileProcess::write_held_notes() {
  holding_notes_ = false;
  for (const auto& line : std::exchange(held_notes_, {})) log_->supervisor_line(line);
}

std::vector<pid_t> ProfileProcess::refresh_tracked() {
  std::vector<pid_t> family;
  if (pid_ == 0) return family;
  family.push_back(pid_);
  bool new_ones = false;
  for (const auto& descendant : descendants_of(pid_)) {
    family.push_back(descendant.pid);
    if (std::find(tracked_.begin(), tracked_.end(), descendant) != tracked_.end()) continue;
    tracked_.push_back(descendant);
    new_ones = true;
  }
  if (new_ones) record_descendants(profile_->state_dir, tracked_);
  return family;
}

void ProfileProcess::signal_all(int signal) {
  refresh_tracked();
  if (pgid_ != 0) ::kill(-pgid_, signal);
  std::erase_if(tracked_, [](const ProcessId& process) { return !is_alive(process); });
  for (const auto& process : tracked_) ::kill(process.pid, signal);
}

bool ProfileProcess::has_leftovers() {
  std::erase_if(tracked_, [](const ProcessId& process) { return !is_alive(process); });
  return !tracked_.empty() || (pgid_ != 0 && !process_group_members(pgid_).empty());
}

void ProfileProcess::probe(ProbeKind kind, ProbeCallback done) {
  const auto& health = profile_->health;
  int port = profile_->ports.gateway;
  auto verify = [weak = weak_from_this(), done](ProbeResult result) {
    auto self = weak.lock();
    if (!self) return;
    self->check_ownership(std::move(result), done);
  };
  if (kind == ProbeKind::readiness) return probe_http(io_, port, health.ready_path.value_or("/readyz"), health.timeout, verify);
  switch (health.type) {
    case config::HealthType::tcp: return probe_tcp(io_, port, health.timeout, verify);
    case config::HealthType::http: return probe_http(io_, port, health.path, health.timeout, verify);
    case config::HealthType::exec:
      refresh_tracked();
      return probe_exec(io_, reaper_, health.command, child_env_, profile_->state_dir, health.timeout, std::move(done));
    case config::HealthType::none: return done({true, "not checked"});
  }
}

void ProfileProcess::check_ownership(ProbeResult result, const ProbeCallback& done) {
  auto family = refresh_tracked();  // also keeps the descendant list fresh for a later stop
  if (!result.ok || family.empty()) return done(std::move(result));
  auto listener = listener_ownership_.check(profile_->ports.gateway, family);
  if (listener.verdict == ListenerCheck::Verdict::owned) return done(std::move(result));
  done({false, fmt::format("{} answered, but {}", result.detail, listener.description)});
}

}  // namespace moltbot::runtime
