#include "moltbot/runtime/fleet.h"

#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "moltbot/common/directory_trust.h"
#include "moltbot/common/host_accounts.h"
#include "moltbot/common/private_directories.h"
#include "moltbot/config/run_as.h"
#include "moltbot/runtime/guarded.h"
#include "moltbot/runtime/stray_ending.h"

namespace moltbot::runtime {

namespace {

// How long the last step of a stop waits for adopted strays to die of SIGKILL.
constexpr std::chrono::seconds stray_patience{10};

// A profile as the runtime keeps it: without the source location of every field, which only
// diagnostics use and which would be a large part of a big fleet's heap.
config::Profile without_locations(const config::Profile& profile) {
  config::Profile copy = profile;
  copy.where = {};
  copy.field_locations.clear();
  return copy;
}

}  // namespace

Fleet::Fleet(boost::asio::io_context& io, Reaper& reaper, ResourceGuard& resources, Environment supervisor_env,
             std::string log_dir)
    : io_(io),
      reaper_(reaper),
      resources_(resources),
      supervisor_env_(std::make_shared<const Environment>(std::move(supervisor_env))),
      log_dir_(std::move(log_dir)),
      handoffs_(std::make_shared<HandoffSupportCache>(io, reaper)) {}

Fleet::~Fleet() { reaper_.on_orphan(nullptr); }

std::variant<std::unique_ptr<Fleet>, std::vector<std::string>> Fleet::create(
    boost::asio::io_context& io, Reaper& reaper, ResourceGuard& resources, const config::Manifest& manifest,
    const Environment& supervisor_env, const nlohmann::json* handed_over, CrashHandover* crash) {
  std::unique_ptr<Fleet> fleet(new Fleet(io, reaper, resources, supervisor_env, manifest.supervisor.log_dir));
  if (crash && crash->store) fleet->crash_store_ = &*crash->store;
  fleet->trust_ = DirectoryTrust::of_supervisor(manifest.supervisor.socket_group);
  const auto group = manifest.supervisor.socket_group ? group_id(*manifest.supervisor.socket_group) : std::nullopt;
  if (auto problem = fleet->prepare_log_dir(group)) return std::vector{std::move(*problem)};

  if (handed_over) {
    fleet->tracking_ = std::make_unique<ProcessTracking>(io, reaper, supervisor_env,
                                                         handed_over->at("instance").get<std::string>());
    spdlog::info("process tracking: {}", fleet->tracking_->description());
    for (const auto& profile : manifest.profiles)
      fleet->restore_member(profile, handed_over->at("profiles").at(profile.name));
  } else {
    std::vector<std::string> problems;
    for (const auto& profile : manifest.profiles)
      if (fleet->folders_pass(profile))
        if (auto problem = fleet->lock_state_dir(profile, fleet->locks_)) problems.push_back(std::move(*problem));
    if (!problems.empty()) return problems;
    fleet->adopt_or_end(manifest, crash);
  }

  reaper.on_orphan([raw = fleet.get()](pid_t pid, ExitStatus) {
    raw->tracking_->orphan_reaped(pid);
    for (auto& member : raw->members_) member.runner->on_orphan_reaped();
    raw->check_all_stopped();
  });
  return fleet;
}

std::optional<std::string> Fleet::busy_for_reexec() const {
  if (stopping_) return "the fleet is stopping";
  if (transition_) return "a reload is being applied";
  if (!operations_->empty()) return operations_->front() + " is under way";
  for (const auto& member : members_)
    if (auto busy = member.runner->busy_for_reexec()) return busy;
  return std::nullopt;
}

Fleet::OperationToken Fleet::begin_operation(std::string description) {
  const auto entry = operations_->insert(operations_->end(), std::move(description));
  // The fleet may end first (a shutdown while a backup runs): its list then goes with the last token.
  return OperationToken(nullptr, [operations = operations_, entry](void*) { operations->erase(entry); });
}

nlohmann::json Fleet::snapshot(std::vector<int>& keep_open) {
  nlohmann::json profiles = nlohmann::json::object();
  for (auto& member : members_) {
    const auto& profile = member.runner->profile();
    // None for a profile refused until its folders are fixed.
    std::optional<int> lock;
    if (auto held = locks_.find(profile.state_dir); held != locks_.end()) {
      lock = held->second.descriptor();
      keep_open.push_back(*lock);
    }
    profiles[profile.name] = {{"lock_fd", lock ? nlohmann::json(*lock) : nlohmann::json()},
                              {"tail", member.log->tail(member.log->tail_capacity())},
                              {"process", member.process->snapshot(keep_open)},
                              {"runner", member.runner->snapshot()}};
  }
  return {{"instance", tracking_->instance()}, {"profiles", profiles}};
}

void Fleet::restore_member(const config::Profile& profile, const nlohmann::json& state) {
  // Two profiles may share nothing, but a reload may have replaced one by another of the same
  // state dir: the lock is the state dir's.
  if (const auto& lock = state.at("lock_fd"); !locks_.contains(profile.state_dir) && lock.is_number())
    locks_.emplace(profile.state_dir, ProfileLock::adopt(lock.get<int>()));
  auto log = open_log(profile.name);
  log->restore_tail(state.at("tail").get<std::vector<std::string>>());
  auto& member = add_member(profile, std::move(log), true);
  member.process->restore(state.at("process"), member.runner->exit_handler());
  member.runner->restore(state.at("runner"));
}

// A log dir that cannot be made never keeps the fleet down (without log files, lines stay in
// memory: ProfileLog); one that other users may write does, since the supervisor would write
// where they can put symlinks.
std::optional<std::string> Fleet::prepare_log_dir(std::optional<gid_t> group) {
  std::error_code error;
  const bool existed = std::filesystem::exists(log_dir_, error);
  if (auto failure = make_private_directories(log_dir_)) {
    spdlog::warn("cannot create log_dir: {}", *failure);
  } else if (!existed) {
    // 0750 with socket_group as its group: the fleet's operators may read the logs (0640).
    if (group && ::chown(log_dir_.c_str(), static_cast<uid_t>(-1), *group) != 0)
      spdlog::warn("cannot give log_dir {} to group {}: {}", log_dir_, *group, std::strerror(errno));
    if (group) ::chmod(log_dir_.c_str(), 0750);
  }
  if (auto problem = untrusted_directory(log_dir_, trust_)) return "log_dir: " + *problem + "; refusing to write there";
  log_folder_ = std::make_shared<LogFolder>(log_dir_, group);
  return std::nullopt;
}

bool Fleet::folders_pass(const config::Profile& profile) const {
  return !config::make_trusted_gateway_folders(profile, trust_);
}

std::optional<std::string> Fleet::lock_state_dir(const config::Profile& profile,
                                                 std::map<std::string, ProfileLock>& locks) {
  if (locks_.contains(profile.state_dir) || locks.contains(profile.state_dir)) return std::nullopt;
  auto lock = ProfileLock::acquire(profile.state_dir);
  if (auto* message = std::get_if<std::string>(&lock))
    return "profile \"" + profile.name + "\" is managed elsewhere: " + *message;
  locks.emplace(profile.state_dir, std::move(std::get<ProfileLock>(lock)));
  return std::nullopt;
}

std::optional<std::string> Fleet::claim_state_dir(const config::Profile& profile,
                                                  std::map<std::string, ProfileLock>& locks) {
  const bool held = locks_.contains(profile.state_dir) || locks.contains(profile.state_dir);
  if (auto problem = lock_state_dir(profile, locks)) return problem;
  if (!held) end_left_running(profile, recorded_gateway(profile));
  return std::nullopt;
}

void Fleet::end_left_running(const config::Profile& profile, std::optional<RecordedChild> child) {
  constexpr const char* left = "left running by a supervisor that ended without stopping it";
  if (child) {
    const auto description = describe_process(child->record.process.pid);
    if (child->pidfd.signal(SIGKILL)) spdlog::warn("profile {}: killed its gateway {}, {}", profile.name, description, left);
  }
  forget_child(profile.state_dir);
  auto leftovers = tracking_->end_leftovers(profile);
  for (const auto& leftover : leftovers.ended) spdlog::warn("profile {}: killed {}, {}", profile.name, leftover, left);
  for (const auto& leftover : leftovers.left_alone)
    spdlog::warn("profile {}: {} is in the record of a predecessor's leftovers, but nothing proves it was started "
                 "for this profile: left alone",
                 profile.name, leftover);
}

std::shared_ptr<ProfileLog> Fleet::open_log(const std::string& name) {
  auto log = std::make_shared<ProfileLog>(log_folder_, name, tail_budget_);
  log->on_line([this, name](const std::string& line) {
    for (const auto& observer : log_observers_) guarded(Handler::observer, [&] { observer(name, line); });
  });
  log->reopen_only_when([&resources = resources_] { return resources.room_for_optional(); });
  return log;
}

ResourceGuard::Shed Fleet::shed_log_files(std::size_t wanted) {
  std::size_t closed = 0;
  for (auto member = members_.rbegin(); member != members_.rend() && closed < wanted; ++member)
    if (member->log->close_file("the supervisor is short of file descriptors")) ++closed;
  return {closed, fmt::format("{} profile log file(s), their lines kept in memory", closed)};
}

Fleet::Member& Fleet::add_member(const config::Profile& entry, std::shared_ptr<ProfileLog> log, bool running) {
  auto profile = std::make_shared<const config::Profile>(without_locations(entry));
  auto deadline = std::make_unique<AsioDeadline>(io_);
  std::optional<std::string> problem;
  auto members = tracking_->members_for(*profile, problem, running);
  if (problem) spdlog::warn("profile {}: {}; its processes are tracked through /proc", profile->name, *problem);
  auto process = std::make_shared<ProfileProcess>(io_, reaper_, resources_, profile, supervisor_env_, log, handoffs_,
                                                  std::move(members), tracking_->instance(), trust_, crash_store_);
  // Event messages quote spawn errors, exit reasons and probe details, which may hold a secret;
  // they reach the supervisor's log and `events` without passing through the profile's log.
  auto redact = [this, log](const ProfileEvent& event) {
    if (log->redactor().empty()) return dispatch(event);
    ProfileEvent clean = event;
    log->redactor().redact(clean.message);
    dispatch(clean);
  };
  auto runner = ProfileRunner::create(
      profile, *process, *deadline, std::move(redact),
      [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(random_); });
  process->on_claim_state_dir([this, profile] { return claim_state_dir(*profile, locks_); });
  // The profile's cgroup emptied: the same news for a stop waiting on leftovers as a reaped orphan.
  process->on_members_change([this, weak = std::weak_ptr<ProfileRunner>(runner)] {
    if (auto runner = weak.lock()) runner->on_orphan_reaped();
    check_all_stopped();
  });
  return members_.emplace_back(Member{std::move(log), std::move(deadline), std::move(process), std::move(runner)});
}

void Fleet::start_all() {
  for (auto& member : members_)
    if (member.runner->profile().autostart) member.runner->start();
}

void Fleet::roll(const config::Manifest& previous, const config::Manifest& next,
                 const config::RolloutSettings& settings, RolloutHooks hooks, Rollout::Done done) {
  rollout_ = std::make_shared<Rollout>(io_, *this, previous, next, settings, std::move(hooks), std::move(done));
  rollout_->start();
}

void Fleet::stop_all(std::function<void()> done) {
  if (rolling()) rollout_->abandon("the supervisor is stopping");
  stopping_ = true;
  transition_.reset();
  on_all_stopped_ = std::move(done);
  for (auto& member : members_) member.runner->stop();
  check_all_stopped();
}

void Fleet::dispatch(const ProfileEvent& event) {
  // An observer that fails misses this event; the profile that emitted it is not to blame.
  for (const auto& observer : observers_) guarded(Handler::observer, [&] { observer(event); });
  if (rollout_) guarded(Handler::observer, [&] { rollout_->on_event(event); });
  if (event.kind != ProfileEvent::Kind::state) return;
  check_all_stopped();
  advance_transition();
}

void Fleet::check_all_stopped() {
  if (!on_all_stopped_ || ending_strays_) return;
  for (const auto& member : members_)
    if (!member.runner->at_rest()) return;
  // Every profile is down; anything still our child was adopted (subreaper) and belongs to no
  // one any more: it goes too, so nothing outlives the supervisor.
  ending_strays_ = true;
  end_strays(io_, stray_patience, [this] {
    auto done = std::move(on_all_stopped_);
    on_all_stopped_ = nullptr;
    done();
  });
}

std::vector<ProfileStatus> Fleet::status() const {
  std::vector<ProfileStatus> all;
  for (const auto& member : members_) all.push_back(redacted_status(member));
  return all;
}

std::optional<ProfileStatus> Fleet::status(const std::string& name) const {
  for (const auto& member : members_)
    if (member.runner->profile().name == name) return redacted_status(member);
  return std::nullopt;
}

// The reasons quote exits and probes as the runner saw them; last_lines come from the log's tail,
// redacted when they were written.
ProfileStatus Fleet::redacted_status(const Member& member) const {
  ProfileStatus status = member.runner->status();
  if (rollout_) status.rollout = rollout_->mark(status.name);
  const auto& redactor = member.log->redactor();
  for (auto* text : {&status.reason, &status.health, &status.readiness, &status.restart_mode_detail})
    redactor.redact(*text);
  if (status.last_exit) redactor.redact(status.last_exit->reason);
  return status;
}

std::optional<std::variant<Environment, std::string>> Fleet::exec_environment(const std::string& name) {
  auto* member = find_member(name);
  if (!member) return std::nullopt;
  return member->process->exec_environment();
}

std::variant<std::shared_ptr<StreamedRun>, std::string> Fleet::run_in_profile(const std::string& name,
                                                                              std::vector<std::string> argv,
                                                                              StreamedRun::Callbacks callbacks,
                                                                              ChildInput input) {
  auto* member = find_member(name);
  if (!member) return fmt::format("no profile \"{}\" in this fleet", name);
  auto command = member->process->exec_request(std::move(argv));
  if (auto* problem = std::get_if<std::string>(&command)) return *problem;
  auto& [request, secrets] = std::get<ProfileProcess::Command>(command);
  return StreamedRun::start(io_, reaper_, std::move(request), SecretRedactor(std::move(secrets)), std::move(callbacks),
                            input);
}

std::optional<std::vector<std::string>> Fleet::log_tail(const std::string& name, std::size_t lines) const {
  for (const auto& member : members_)
    if (member.runner->profile().name == name) return member.log->tail(lines);
  return std::nullopt;
}

Fleet::Member* Fleet::find_member(const std::string& name) {
  auto found = std::find_if(members_.begin(), members_.end(),
                            [&](const Member& member) { return member.runner->profile().name == name; });
  return found == members_.end() ? nullptr : &*found;
}

ProfileRunner* Fleet::find(const std::string& name) {
  auto* member = find_member(name);
  return member ? member->runner.get() : nullptr;
}

}  // namespace moltbot::runtime
