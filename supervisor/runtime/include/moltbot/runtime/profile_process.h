#pragma once
// The real ChildControl of one profile: spawns its gateway with the launch spec (into the profile's
// cgroup when it has one, with the marker of its profile in the environment), pipes its output
// into the profile log, watches its exit through the Reaper, signals
// everything of the profile through its ProfileMembers so a stop reaches all of it, and probes it.
// A step that meets the supervisor's own shortage (spawn, probe, port and listener lookups, the
// gateway's CLI) is reported to the ResourceGuard and tried once more with the room it made; a
// shortage that lasts is answered as such (Shortage, an inconclusive probe), never as the
// gateway's failure.
#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json_fwd.hpp>
#include <memory>

#include "moltbot/common/directory_trust.h"
#include "moltbot/common/environment.h"
#include "moltbot/config/child_environment.h"
#include "moltbot/config/manifest.h"
#include "moltbot/gateway/launch_spec.h"
#include "moltbot/runtime/child_log.h"
#include "moltbot/runtime/listener_ownership.h"
#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/profile_members.h"
#include "moltbot/runtime/reaper.h"
#include "moltbot/runtime/resource_guard.h"
#include "moltbot/runtime/restart_handoff.h"
#include "moltbot/runtime/runner_ports.h"
#include "moltbot/runtime/spawner.h"

namespace moltbot::runtime {

class ProfileProcess final : public ChildControl, public std::enable_shared_from_this<ProfileProcess> {
 public:
  // `log` is the profile's, shared with the fleet: it outlives this process object when a
  // reload replaces the profile's entry. `supervisor_env` and `handoffs` are shared by the fleet.
  // `members` tracks the profile's processes (ProcessTracking::members_for); `instance` is the
  // supervisor's id for the marker (process_marker.h).
  ProfileProcess(boost::asio::io_context& io, Reaper& reaper, ResourceGuard& resources,
                 std::shared_ptr<const config::Profile> profile, std::shared_ptr<const Environment> supervisor_env,
                 std::shared_ptr<ProfileLog> log, std::shared_ptr<HandoffSupportCache> handoffs,
                 std::unique_ptr<ProfileMembers> members, std::string instance, const DirectoryTrust& trust);
  ~ProfileProcess() override;

  std::variant<std::monostate, std::string, Shortage> prepare() override;
  std::optional<std::string> port_conflict() override;
  bool settle_restart_mode(std::function<void()> settled) override;
  Spawned spawn(std::function<void(ExitStatus)> on_exit) override;
  bool restarts_externally() const override { return spawned_mode_ == config::RestartMode::external; }
  const HandoffSupport& restart_support() const override { return support_; }
  void consume_handoff(pid_t pid, std::function<void(HandoffVerdict)> done) override;
  void signal_all(int signal) override;
  bool has_leftovers() override;
  void probe(ProbeKind kind, ProbeCallback done) override;
  void note(const std::string& line) override;
  std::vector<std::string> recent_output(std::size_t lines) const override { return log_->tail(lines); }

  // The child environment as the next spawn builds it, or why it cannot be built.
  std::variant<Environment, std::string> exec_environment() const;

  // A re-exec of the supervisor (profile_runner.h): the running child, its output pipe (drained
  // first; its descriptor also in `keep_open`, for the exec to keep) and how it restarts.
  nlohmann::json snapshot(std::vector<int>& keep_open);
  // On the other side: takes that child over, still this process's child, and watches it as
  // spawn() does; `on_exit` as for spawn().
  void restore(const nlohmann::json& state, std::function<void(ExitStatus)> on_exit);

  // `changed` runs when processes of the profile may have ended without a reaped child saying so.
  void on_members_change(std::function<void()> changed) { members_->on_change(std::move(changed)); }

 private:
  // A pipe for the child's output, and the child on its write end (in the profile's cgroup when it
  // has one); the read end in `output`.
  Spawned start_child(const gateway::LaunchSpec& spec, int& output);
  // `step` once, and once more when the supervisor was short of resources for it (`what` is said).
  template <typename Step>
  auto retried_after_shortage(const std::string& what, Step step);
  void probe_once(ProbeKind kind, ProbeCallback done);
  // The running child, for its members to signal; nullopt when none runs.
  std::optional<RunningLeader> running_leader() const;
  // Watches the running child pid_ as spawn() starts it: its output logged, its exit handled.
  void watch_child(std::shared_ptr<ChildOutput> output, std::function<void(ExitStatus)> on_exit);
  void check_ownership(ProbeResult result, const ProbeCallback& done);
  void run_consume(pid_t pid, std::function<void(HandoffVerdict)> done, bool may_retry);
  // profile.cli expanded and its program found in the child's PATH, once per entry; or why not.
  std::optional<std::string> resolve_cli();
  // The gateway's CLI with `arguments` appended, in the environment of `mode`; or why it cannot run.
  std::variant<SpawnRequest, std::string> cli_request(const std::vector<std::string>& arguments,
                                                      config::RestartMode mode);
  void set_support(HandoffSupport support);
  // Says how this child is told to restart, when that changed since the last start (after the
  // secrets of the start are known: the detail may quote a path or an error).
  void note_restart_mode();

  boost::asio::io_context& io_;
  Reaper& reaper_;
  ResourceGuard& resources_;
  std::shared_ptr<const config::Profile> profile_;  // shared with the profile's runner
  std::shared_ptr<const Environment> supervisor_env_;
  gateway::LaunchSpecCache launches_;  // of profile_ and supervisor_env_, declared before it
  Environment child_env_;  // of the last launch, for exec probes
  std::shared_ptr<ProfileLog> log_;
  std::shared_ptr<HandoffSupportCache> handoffs_;
  HandoffSupport support_{config::RestartMode::in_process, "not asked yet"};  // settled before each spawn
  config::RestartMode spawned_mode_ = config::RestartMode::in_process;        // of the last child
  std::optional<HandoffSupport> noted_support_;
  std::vector<std::string> cli_argv_;  // profile.cli expanded and resolved, once per entry
  pid_t pid_ = 0;               // the running child, 0 when none
  std::weak_ptr<ChildOutput> output_;  // of the running child
  std::unique_ptr<ProfileMembers> members_;
  std::string instance_;
  const DirectoryTrust& trust_;  // the fleet's, which outlives its processes
  ListenerOwnership listener_ownership_;  // of the gateway port, checked after each answered probe
};

}  // namespace moltbot::runtime
