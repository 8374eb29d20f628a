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
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <memory>

#include "moltbot/common/directory_trust.h"
#include "moltbot/common/environment.h"
#include "moltbot/config/child_environment.h"
#include "moltbot/config/manifest.h"
#include "moltbot/gateway/launch_spec.h"
#include "moltbot/runtime/child_log.h"
#include "moltbot/runtime/child_record.h"
#include "moltbot/runtime/fd_store.h"
#include "moltbot/runtime/listener_ownership.h"
#include "moltbot/runtime/pidfd.h"
#include "moltbot/runtime/probe_durations.h"
#include "moltbot/runtime/profile_members.h"
#include "moltbot/runtime/reaper.h"
#include "moltbot/runtime/resource_sampler.h"
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
  // supervisor's id for the marker (process_marker.h). `crash_store`, when set, is where gateways
  // are kept for a successor should the supervisor die (supervisor.on_crash: adopt): each is
  // started without PR_SET_PDEATHSIG, recorded in the state dir (child_record.h) before it is
  // reported started, and its output pipe's read end is stored as output_fd_name(profile).
  ProfileProcess(boost::asio::io_context& io, Reaper& reaper, ResourceGuard& resources,
                 std::shared_ptr<const config::Profile> profile, std::shared_ptr<const Environment> supervisor_env,
                 std::shared_ptr<ProfileLog> log, std::shared_ptr<HandoffSupportCache> handoffs,
                 std::unique_ptr<ProfileMembers> members, std::string instance, const DirectoryTrust& trust,
                 const FdStore* crash_store);
  ~ProfileProcess() override;

  Prepared prepare() override;
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
  // `argv` as one of the profile's own processes besides its gateway, like its CLI: in its state
  // dir, with exec_environment(), and the secrets of that environment (ChildEnvironment::secrets);
  // or why the environment cannot be built.
  struct Command {
    SpawnRequest request;
    std::vector<std::string> secrets;
  };
  std::variant<Command, std::string> exec_request(std::vector<std::string> argv) const;

  // A re-exec of the supervisor (profile_runner.h): the running child, its output pipe (drained
  // first; its descriptor also in `keep_open`, for the exec to keep) and how it restarts.
  nlohmann::json snapshot(std::vector<int>& keep_open);
  // On the other side: takes that child over, still this process's child, and watches it as
  // spawn() does; `on_exit` as for spawn().
  void restore(const nlohmann::json& state, std::function<void(ExitStatus)> on_exit);

  // Adoption after a crash of the supervisor (docs/supervisor.md): takes over `child`, a gateway
  // the dead predecessor started and recorded, its output read again from `output` (the pipe's
  // read end the store gave back). Init reaps it, so its exit is seen through its pidfd and its
  // status is unknown; `on_exit` as for spawn(). Returns how long it has run.
  std::chrono::milliseconds adopt(RecordedChild child, int output, std::function<void(ExitStatus)> on_exit);

  // What the profile's processes use, measured at most once a second (resource_sampler.h);
  // `uptime`: of the running gateway.
  const ResourceSample& resources(std::optional<std::chrono::milliseconds> uptime);
  // How long its liveness probes took.
  const ProbeDurations& probe_durations() const { return probe_durations_; }

  // `changed` runs when processes of the profile may have ended without a reaped child saying so.
  void on_members_change(std::function<void()> changed) { members_->on_change(std::move(changed)); }
  // Run by prepare() once the folders pass: takes the state dir's lock if the fleet does not hold
  // it yet (a profile refused until its folders were fixed), or says why it cannot.
  void on_claim_state_dir(std::function<std::optional<std::string>()> claim) { claim_state_dir_ = std::move(claim); }

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
  // The same for an adopted child, whose exit its pidfd tells.
  void watch_adopted(int pidfd, std::shared_ptr<ChildOutput> output, std::function<void(ExitStatus)> on_exit);
  // What follows the child's exit, however seen: its record and stored pipe go.
  void child_gone();
  // Records the child just spawned and stores its output pipe (crash_store_).
  void keep_for_successor(int output);
  // The secrets and the health command's environment as the running child's start had them.
  void take_launch_secrets();
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
  // Of an adopted child: its pidfd, readable once it has exited.
  std::unique_ptr<boost::asio::posix::stream_descriptor> adopted_exit_;
  std::unique_ptr<ProfileMembers> members_;
  std::string instance_;
  const DirectoryTrust& trust_;  // the fleet's, which outlives its processes
  std::function<std::optional<std::string>()> claim_state_dir_;
  const FdStore* crash_store_;
  // Of the entry, for the child record: computed once, not at every respawn (0 without a store).
  const std::uint64_t entry_hash_;
  ListenerOwnership listener_ownership_;  // of the gateway port, checked after each answered probe
  ResourceSampler resource_sampler_;
  ProbeDurations probe_durations_;
};

}  // namespace moltbot::runtime
