#include "moltbot/runtime/fleet.h"

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>

#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {

Fleet::Fleet(Reaper& reaper) : reaper_(reaper) {}

Fleet::~Fleet() { reaper_.on_orphan(nullptr); }

std::variant<std::unique_ptr<Fleet>, std::vector<std::string>> Fleet::create(boost::asio::io_context& io,
                                                                               Reaper& reaper,
                                                                               const config::Manifest& manifest,
                                                                               const Environment& supervisor_env) {
  std::unique_ptr<Fleet> fleet(new Fleet(reaper));
  std::vector<std::string> problems;
  std::error_code error;
  std::filesystem::create_directories(manifest.supervisor.log_dir, error);
  if (error) return std::vector<std::string>{"cannot create log_dir " + manifest.supervisor.log_dir + ": " + error.message()};

  for (const auto& profile : manifest.profiles) {
    std::filesystem::create_directories(profile.state_dir, error);
    if (error) {
      problems.push_back("profile \"" + profile.name + "\": cannot create state dir " + profile.state_dir + ": " +
                         error.message());
      continue;
    }
    auto lock = ProfileLock::acquire(profile.state_dir);
    if (auto* message = std::get_if<std::string>(&lock)) {
      problems.push_back("profile \"" + profile.name + "\" is managed elsewhere: " + *message);
      continue;
    }
    try {
      auto deadline = std::make_unique<AsioDeadline>(io);
      auto process = std::make_shared<ProfileProcess>(io, reaper, profile, supervisor_env, manifest.supervisor.log_dir);
      auto* raw = fleet.get();
      process->on_log_line([raw, name = profile.name](const std::string& line) {
        for (const auto& observer : raw->log_observers_) observer(name, line);
      });
      auto runner = ProfileRunner::create(
          profile, *process, *deadline, [raw](const ProfileEvent& event) { raw->dispatch(event); },
          [raw] { return std::uniform_real_distribution<double>(0.0, 1.0)(raw->random_); });
      fleet->members_.push_back({std::move(std::get<ProfileLock>(lock)), std::move(deadline), std::move(process),
                                 std::move(runner)});
    } catch (const std::exception& failure) {
      problems.push_back("profile \"" + profile.name + "\": " + failure.what());
    }
  }
  if (!problems.empty()) return problems;

  reaper.on_orphan([raw = fleet.get()](pid_t, ExitStatus) {
    for (auto& member : raw->members_) member.runner->on_orphan_reaped();
    raw->check_all_stopped();
  });
  return fleet;
}

void Fleet::start_all() {
  for (auto& member : members_)
    if (member.runner->profile().autostart) member.runner->start();
}

void Fleet::stop_all(std::function<void()> done) {
  on_all_stopped_ = std::move(done);
  for (auto& member : members_) member.runner->stop();
  check_all_stopped();
}

void Fleet::dispatch(const ProfileEvent& event) {
  for (const auto& observer : observers_) observer(event);
  if (event.kind == ProfileEvent::Kind::state) check_all_stopped();
}

void Fleet::check_all_stopped() {
  if (!on_all_stopped_) return;
  for (const auto& member : members_)
    if (!member.runner->at_rest()) return;
  // Every profile is down; anything still our child was adopted (subreaper) and belongs to no
  // one any more: it goes too, so nothing outlives the supervisor.
  for (pid_t stray : own_children()) {
    ::kill(stray, SIGKILL);
    ::waitpid(stray, nullptr, 0);
  }
  auto done = std::move(on_all_stopped_);
  on_all_stopped_ = nullptr;
  done();
}

std::vector<ProfileStatus> Fleet::status() const {
  std::vector<ProfileStatus> all;
  for (const auto& member : members_) all.push_back(member.runner->status());
  return all;
}

std::optional<std::vector<std::string>> Fleet::log_tail(const std::string& name, std::size_t lines) const {
  for (const auto& member : members_)
    if (member.runner->profile().name == name) return member.process->log().tail(lines);
  return std::nullopt;
}

ProfileRunner* Fleet::find(const std::string& name) {
  for (auto& member : members_)
    if (member.runner->profile().name == name) return member.runner.get();
  return nullptr;
}

}  // namespace moltbot::runtime
