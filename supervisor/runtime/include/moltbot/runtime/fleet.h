#pragma once
// The fleet: creates one ProfileRunner per profile, starts the autostart ones together, routes
// requests and reaped orphans to them, stops them all together, and adds, drops and replaces
// runners when the manifest is reloaded. It knows nothing about how one profile is run.
#include <boost/asio/io_context.hpp>
#include <functional>
#include <list>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "moltbot/common/directory_trust.h"
#include "moltbot/common/environment.h"
#include "moltbot/config/manifest.h"
#include "moltbot/config/manifest_diff.h"
#include "moltbot/runtime/asio_deadline.h"
#include "moltbot/runtime/child_log.h"
#include "moltbot/runtime/child_record.h"
#include "moltbot/runtime/fd_store.h"
#include "moltbot/runtime/profile_lock.h"
#include "moltbot/runtime/process_tracking.h"
#include "moltbot/runtime/profile_process.h"
#include "moltbot/runtime/profile_runner.h"
#include "moltbot/runtime/reaper.h"
#include "moltbot/runtime/resource_guard.h"
#include "moltbot/runtime/restart_handoff.h"
#include "moltbot/runtime/rollout.h"
#include "moltbot/runtime/streamed_run.h"

namespace moltbot::runtime {

// Adoption after a crash (docs/supervisor.md): what the supervisor keeps for a successor should it
// die, and what a predecessor that died kept for it.
struct CrashHandover {
  // The service manager's descriptor store, when supervisor.on_crash is adopt and there is one:
  // gateways are then started to outlive the supervisor (ProfileProcess). nullopt: they die with it.
  std::optional<FdStore> store;
  // What the store passed at start: each profile's output pipe is taken by its adopted gateway.
  PassedFds passed;
};

class Fleet {
 public:
  using Observer = std::function<void(const ProfileEvent&)>;
  using LogObserver = std::function<void(const std::string& profile, const std::string& line)>;

  // Chooses how profiles' processes are tracked (process_tracking.h), takes every profile's lock
  // before anything runs, and ends what a killed predecessor left (leftover_record.h). When another
  // supervisor holds a lock, the result lists every such problem (one line each) and no Fleet
  // exists. A profile whose folders other users may write only keeps itself from starting
  // (folders_pass). Logs that cannot be
  // written are no such problem (ProfileLog). `resources` outlives the fleet; its profiles report
  // their shortages there, and their log files are opened again only when it has room.
  //
  // `handed_over`: the fleet a re-exec carried across (snapshot()), for the same manifest. Its
  // locks, running gateways and their pipes, counters and deadlines are taken over as they were:
  // nothing is started, stopped or ended. The caller then reaps (exits during the exec).
  //
  // `crash` (outlives the fleet): otherwise, a gateway a dead predecessor recorded in a profile's
  // state dir that is proven its own and still runs is adopted when `crash->store` is set, the
  // profile's entry is the one it was started from (else it is restarted) and its output pipe
  // came back in `crash->passed`; any other is ended with the predecessor's leftovers. Adopted
  // gateways are `starting` until their next healthy probe; start_all() leaves them be.
  static std::variant<std::unique_ptr<Fleet>, std::vector<std::string>> create(
      boost::asio::io_context& io, Reaper& reaper, ResourceGuard& resources, const config::Manifest& manifest,
      const Environment& supervisor_env, const nlohmann::json* handed_over = nullptr, CrashHandover* crash = nullptr);

  // Live re-exec (docs/supervisor.md): why the fleet cannot be carried across now (a reload or a
  // stop under way, a planned restart being confirmed, an operation begun below), or nullopt.
  std::optional<std::string> busy_for_reexec() const;
  // Marks an operation on a profile that runs over many turns of the loop outside the fleet's own
  // state (a backup, a restore: control/backup_commands.cpp) until the last copy of the returned
  // token is dropped. A re-exec waits for it, since the next image would not carry it on: a
  // restore would leave its profile stopped, or a failed restored state in place.
  using OperationToken = std::shared_ptr<void>;
  OperationToken begin_operation(std::string description);
  // The fleet as JSON for create(); the descriptors the exec must keep open (locks, pipes) are
  // added to `keep_open`.
  nlohmann::json snapshot(std::vector<int>& keep_open);
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;
  ~Fleet();

  // Every event of every profile, in order. Several observers may attach (status file, control
  // socket, sd_notify).
  void on_event(Observer observer) { observers_.push_back(std::move(observer)); }
  // Every line of every profile's log (child output and supervisor notes) as it is written.
  void on_log_line(LogObserver observer) { log_observers_.push_back(std::move(observer)); }

  // Starts every autostart profile not running already (adopted); none waits for another.
  void start_all();
  // Stops every profile at once; `done` runs once all are at rest and stray adoptees are gone
  // (stray_ending.h).
  // A reload still being applied is abandoned: nothing it would add is started.
  void stop_all(std::function<void()> done);
  bool stopping() const { return stopping_; }

  // Brings the fleet to a validated manifest, compared with what the last reload (or create)
  // asked for. What can fail comes first: state dirs and the locks of new state dirs. If
  // anything fails, nothing changes and every problem is returned, one line each. Otherwise
  // removed and changed profiles stop at once; when all of them are at rest the removed ones are
  // dropped (their locks released), the changed and added ones are created from
  // their new entries and the autostart ones among them start. Unchanged profiles are not
  // touched. A reload while an earlier one's stops are still under way merges with it. The
  // supervisor settings (socket, log_dir) stay those of create(). Not while stopping.
  std::variant<config::ProfileChanges, std::vector<std::string>> reload(const config::Manifest& manifest);

  // A rolling reload from `previous` (what the fleet runs) to `next` (rollout.h); `done` runs once
  // with its report. Not while another runs (rolling()) or while stopping; stop_all() abandons it.
  void roll(const config::Manifest& previous, const config::Manifest& next, const config::RolloutSettings& settings,
            RolloutHooks hooks, Rollout::Done done);
  bool rolling() const { return rollout_ && !rollout_->finished(); }
  // An event of the fleet's own (a rollout's step) to every observer.
  void announce(const ProfileEvent& event) { dispatch(event); }

  // Secrets (the profile's log's redactor) are `<redacted>` in every text of a status and in
  // every event's message.
  std::vector<ProfileStatus> status() const;
  // One profile's; std::nullopt for no such profile.
  std::optional<ProfileStatus> status(const std::string& name) const;
  // Fills in the resources of each status's profile (ProfileProcess::resources).
  void measure(std::vector<ProfileStatus>& statuses);
  // How long the health probes of the profile's current entry took; nullptr for no such profile.
  const ProbeDurations* probe_durations(const std::string& name);
  ProfileRunner* find(const std::string& name);
  // For commands that run helpers of their own (backup_jobs.h) as the supervisor's children.
  Reaper& reaper() { return reaper_; }
  boost::asio::io_context& io() { return io_; }
  // The environment `moltbot-supervisorctl exec PROFILE` runs a command with: the profile's child
  // environment as its gateway gets it (restart mode, env_file secrets included). std::nullopt
  // for no such profile; a one-line error when the environment cannot be built (env_file).
  std::optional<std::variant<Environment, std::string>> exec_environment(const std::string& name);
  // `argv` run by the supervisor as one of the profile's own processes (ProfileProcess::exec_request),
  // for a client that may not have the environment itself (`exec` through a control grant), the
  // secrets of that environment `<redacted>` in its output, its stdin fed by the client with
  // ChildInput::pipe; or why it cannot run (no such profile, the environment, the spawn).
  std::variant<std::shared_ptr<StreamedRun>, std::string> run_in_profile(const std::string& name,
                                                                         std::vector<std::string> argv,
                                                                         StreamedRun::Callbacks callbacks,
                                                                         ChildInput input = ChildInput::none);
  // The last `lines` lines of the profile's log kept in memory; empty when there is no such profile.
  std::optional<std::vector<std::string>> log_tail(const std::string& name, std::size_t lines) const;

  // A ResourceGuard shedder: closes up to `wanted` profile log files, the last profiles' first; their
  // lines stay in memory until the files can be opened again.
  ResourceGuard::Shed shed_log_files(std::size_t wanted);

 private:
  struct Member {
    std::shared_ptr<ProfileLog> log;  // kept when a reload replaces the entry: one file, one tail
    std::unique_ptr<AsioDeadline> deadline;
    std::shared_ptr<ProfileProcess> process;
    std::shared_ptr<ProfileRunner> runner;  // last: destroyed first, it refers to the two above
  };
  // A profile a reload creates once the profiles it stops are at rest.
  struct Arrival {
    config::Profile profile;
    std::shared_ptr<ProfileLog> log;
  };
  // The reload being applied: `leaving` members are stopping; then they go and `arriving` come.
  struct Transition {
    std::set<std::string> leaving;
    std::map<std::string, Arrival> arriving;
    std::vector<std::string> order;  // profile names as the manifest lists them
    // Changed profiles that were up when the reload began: started again whatever their autostart
    // (a rescue started by hand stays up across a change of its entry).
    std::set<std::string> were_up;
  };

  Fleet(boost::asio::io_context& io, Reaper& reaper, ResourceGuard& resources, Environment supervisor_env,
        std::string log_dir);
  // Whether the profile's state dir and workspace (made 0700, the gateway's own: it keeps its
  // config, tokens and sessions there) are safe to write. A profile whose folders fail is neither
  // locked nor cleaned up after a predecessor here: it is refused at its start
  // (ProfileProcess::prepare), and claimed then, once its folders are fixed.
  bool folders_pass(const config::Profile& profile) const;
  // The lock of the profile's state dir, taken into `locks` unless this fleet holds it already.
  std::optional<std::string> lock_state_dir(const config::Profile& profile, std::map<std::string, ProfileLock>& locks);
  // lock_state_dir(), then what a supervisor that died without stopping the profile left running
  // there is ended.
  std::optional<std::string> claim_state_dir(const config::Profile& profile, std::map<std::string, ProfileLock>& locks);
  // The gateway recorded in the profile's state dir, if it runs and is proven the profile's
  // (find_recorded_child, as the user the profile's gateways run as).
  static std::optional<RecordedChild> recorded_gateway(const config::Profile& profile);
  // Ends the recorded gateway `child` (proven ours) and the leftovers of a dead predecessor.
  void end_left_running(const config::Profile& profile, std::optional<RecordedChild> child);
  // The gateways of create()'s `crash`: adopted, or ended. Then every other profile is added.
  void adopt_or_end(const config::Manifest& manifest, CrashHandover* crash);
  // Makes the log dir if missing (0750, socket_group's) and opens it; the refusal when other
  // users may write it or a parent.
  std::optional<std::string> prepare_log_dir(std::optional<gid_t> group);
  std::shared_ptr<ProfileLog> open_log(const std::string& name);
  std::shared_ptr<ProfileLog> log_of(const std::string& name);
  // `running`: its gateway runs already (restore_member).
  Member& add_member(const config::Profile& profile, std::shared_ptr<ProfileLog> log, bool running = false);
  // add_member() for a profile a re-exec carried across: its log tail, child and runner as they were.
  void restore_member(const config::Profile& profile, const nlohmann::json& state);
  Member* find_member(const std::string& name);
  ProfileStatus redacted_status(const Member& member) const;
  std::vector<config::Profile> target_profiles() const;
  bool leaving_at_rest();
  void advance_transition();
  void complete_transition();
  void dispatch(const ProfileEvent& event);
  void check_all_stopped();

  boost::asio::io_context& io_;
  Reaper& reaper_;
  ResourceGuard& resources_;
  const std::shared_ptr<const Environment> supervisor_env_;
  const std::string log_dir_;
  DirectoryTrust trust_;  // for the log dir, state dirs and workspaces (directory_trust.h)
  std::shared_ptr<LogFolder> log_folder_;
  std::shared_ptr<TailBudget> tail_budget_ = std::make_shared<TailBudget>();
  std::map<std::string, ProfileLock> locks_;  // by state dir
  std::unique_ptr<ProcessTracking> tracking_;  // outlives the members, whose cgroups it watches
  const FdStore* crash_store_ = nullptr;       // CrashHandover::store
  std::vector<Member> members_;
  std::optional<Transition> transition_;
  std::shared_ptr<Rollout> rollout_;  // the last one, kept until the next (its status marks, its timer)
  std::shared_ptr<std::list<std::string>> operations_ = std::make_shared<std::list<std::string>>();
  bool completion_posted_ = false;
  std::vector<Observer> observers_;
  std::vector<LogObserver> log_observers_;
  std::mt19937 random_{std::random_device{}()};
  std::shared_ptr<HandoffSupportCache> handoffs_;
  bool stopping_ = false;
  bool ending_strays_ = false;
  std::function<void()> on_all_stopped_;
};

}  // namespace moltbot::runtime
