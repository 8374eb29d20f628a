#pragma once
// The fully resolved fleet manifest: what config/ hands to everything else. Plain data, no YAML.
// Paths are absolute and normalised, durations are milliseconds, every port is derived.
#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "moltbot/common/account.h"
#include "moltbot/common/profile_defaults.h"
#include "moltbot/config/diagnostic.h"

namespace moltbot::config {

using Millis = std::chrono::milliseconds;

enum class HealthType { tcp, http, exec, none };
enum class RestartPolicy { always, on_failure, never };

struct Backoff {
  Millis initial{1000};
  Millis max{60000};
  double factor = 2.0;

  bool operator==(const Backoff&) const = default;
};

struct RestartSpec {
  RestartPolicy policy = RestartPolicy::always;
  Backoff backoff;
  Millis reset_after{60000};
  int max_restarts = 10;
  Millis window{300000};
  std::vector<int> no_restart_exit_codes{78};  // manifest key: restart.no_restart_exit_codes

  bool operator==(const RestartSpec&) const = default;
};

struct HealthSpec {
  HealthType type = HealthType::http;
  std::string path = "/healthz";
  std::vector<std::string> command;  // for type exec
  Millis interval{5000};
  Millis timeout{2000};
  int failures = 3;
  Millis start_period{10000};
  // While a child is starting and within start_period, probes come this often instead of every
  // `interval` (Docker's start_interval): a gateway up in 15 ms is not left `starting` for 5 s.
  Millis start_interval{250};
  std::optional<std::string> ready_path;  // manifest key: health.ready_path; reported, never restarts
  // A (re)start is done when the child owns the listener and this path answers
  // {"status":"started"} (404: not served, the listener alone counts). Until then the profile is
  // `starting` with the gateway's pendingReason. Default /startupz for the openclaw layout. Asked
  // only with health.type http: a tcp-checked child need not speak HTTP.
  std::optional<std::string> startup_path;

  bool operator==(const HealthSpec&) const = default;
};

struct StopSpec {
  int signal = 15;  // SIGTERM
  Millis timeout{10000};  // 330 s by default for the openclaw layout: the gateway's own stop budget

  bool operator==(const StopSpec&) const = default;
};

// What a profile's processes may use (manifest key `limits`, docs/manifest.md). memory, cpus and
// pids need the profile's cgroup with those controllers; nofile and oom_score_adj are set in the
// gateway's process.
struct Limits {
  std::optional<std::uint64_t> memory;  // bytes: memory.max
  std::optional<double> cpus;           // CPUs: cpu.max, as quota per period
  std::optional<long> pids;             // pids.max (processes and threads)
  std::optional<long> nofile;           // RLIMIT_NOFILE, soft and hard
  // -1000..1000. A rescue profile without one gets 100 less than the lowest of the other
  // profiles (theirs unset: 0), so the kernel's OOM killer ends main first.
  std::optional<int> oom_score_adj;

  bool operator==(const Limits&) const = default;
};

// An inclusive port interval; a single port has first == last. Shared with the bundled gateway.
using moltbot::PortRange;

// One entry of a profile's port set, as the real gateway will occupy it.
struct PortUse {
  std::string name;       // "gateway", "bridge", "browser control", "extension relay", "canvas host",
                          // "CDP range", "CDP port of browser profile work", "cdpUrl of browser profile work"
  PortRange range;
  SourceLocation where;   // the YAML node (or the profile's name node) it comes from
  bool fell_back = false; // P + offset exceeded 65535: the gateway's global default is used instead
  PortRange derived;      // when fell_back: the out-of-range P + offset value (range holds the default)

  bool operator==(const PortUse&) const = default;
};

struct ProfilePorts {
  int gateway = 0;
  int bridge = 0;
  int browser_control = 0;
  int extension_relay = 0;
  int canvas = 0;
  int cdp_start = 0;
  int cdp_end = 0;
  std::vector<PortUse> uses;  // the full set: named ports, CDP range, pinned CDP ports, cdpUrl ports

  bool operator==(const ProfilePorts&) const = default;
};

// A channel credential found in the profile's gateway config file (compared across profiles,
// never printed).
struct ChannelCredential {
  std::string channel;  // "telegram"
  std::string account;  // empty for the channel's top-level token
  std::string field;    // "botToken" or "token"
  std::string value;    // after ${VAR} resolution with the child environment

  bool operator==(const ChannelCredential&) const = default;
};

// A browser profile of the gateway whose CDP endpoint is pinned (browser.profiles.NAME).
struct BrowserProfile {
  std::string name;
  std::optional<int> cdp_port;         // cdpPort: a browser the gateway starts on this port
  std::optional<std::string> cdp_url;  // cdpUrl: a browser the gateway attaches to

  bool operator==(const BrowserProfile&) const = default;
};

struct Profile {
  std::string name;
  SourceLocation where;  // the profile's key in `profiles`
  Role role = Role::main;
  Layout layout = Layout::openclaw;  // which product's default paths (and defaults) apply
  std::string config_path;  // absolute, normalised
  std::string state_dir;
  std::string workspace;
  ProfilePorts ports;
  // What the manifest or the gateway config file pins; `ports` holds the full set derived from
  // them. A config file the supervisor creates carries these (seed_gateway_config), so the
  // gateway's own CLI derives the footprint that was checked.
  PinnedPorts pinned_ports;
  std::vector<BrowserProfile> browser_profiles;
  std::vector<std::string> cdp_urls;  // pinned cdpUrl values (manifest or config file)
  std::vector<std::string> command;   // template; placeholders not yet expanded
  // The gateway's own CLI for this profile (template, like command): restart-handoff
  // capabilities and consume run through it. Default: command[0], --profile, {profile}.
  // An empty list set in the manifest (`cli: []`) turns the handoff protocol off.
  std::vector<std::string> cli;
  std::map<std::string, std::string> env;
  std::optional<std::string> env_file;  // absolute
  bool autostart = true;
  RestartSpec restart;
  HealthSpec health;
  StopSpec stop;
  Limits limits;
  std::vector<ChannelCredential> credentials;
  // The account the gateway runs as (manifest keys `user` and `group`, looked up when the manifest
  // is loaded); nullopt when neither is set: the supervisor's own account. `~` in the profile's
  // paths is this account's home.
  std::optional<Account> run_as;
  // Where each field came from, for diagnostics: "port", "workspace", "state_dir", "config_path",
  // "browser.control_port", "canvas_port", ... A field absent from the YAML maps to `where`.
  std::map<std::string, SourceLocation> field_locations;

  const SourceLocation& location_of(const std::string& field) const;
  // Every field, source locations included (config::same_entry leaves those out).
  bool operator==(const Profile&) const = default;
};

// What a supervisor that finds children of a crashed predecessor does with them (docs/manifest.md).
enum class OnCrash {
  adopt,    // children started without PR_SET_PDEATHSIG; a successor adopts those whose entry is unchanged
  restart,  // children die with the supervisor; a successor ends what is left and starts afresh
};

const char* to_string(OnCrash on_crash);

// The control commands a grant may give (manifest key control.grants[].commands). `shutdown`,
// `reload` and `reexec` act on the whole supervisor and are never grantable.
inline constexpr std::array<std::string_view, 9> grantable_commands{"status",  "logs",  "events", "start", "stop",
                                                                     "restart", "reset", "signal", "exec"};
inline constexpr std::array<std::string_view, 3> never_grantable_commands{"shutdown", "reload", "reexec"};

// One entry of control.grants (docs/manifest.md): what a user, or the members of a group, may do
// through the control socket without being root, the supervisor's user or in socket_group.
struct ControlGrant {
  std::string who;  // "user rescue", "group ops": as the manifest names it, for messages
  std::optional<uid_t> uid;  // exactly one of uid and gid, looked up when the manifest was read
  std::optional<gid_t> gid;
  bool all_profiles = false;  // `profiles: all`: every profile, those a reload adds included
  std::vector<std::string> profiles;
  std::vector<std::string> commands;  // each one of grantable_commands, in the manifest's order

  bool operator==(const ControlGrant&) const = default;
};

// Where the supervisor serves GET /metrics (manifest key supervisor.metrics, docs/metrics.md).
struct MetricsEndpoint {
  std::string address = "127.0.0.1";  // an IPv4 or IPv6 literal
  int port = 9464;

  bool operator==(const MetricsEndpoint&) const = default;
};

struct SupervisorSettings {
  std::string socket;  // resolved default when the manifest has none (spec section 2)
  std::optional<std::string> socket_group;
  // The manifest's top-level control.grants: served by the control socket alongside socket_group,
  // and like it read once when the supervisor starts.
  std::vector<ControlGrant> grants;
  std::string log_dir;
  OnCrash on_crash = OnCrash::adopt;  // manifest key: supervisor.on_crash
  std::optional<MetricsEndpoint> metrics;  // nullopt: not served (the default)

  bool operator==(const SupervisorSettings&) const = default;
};

// How a rolling reload replaces changed profiles (manifest key defaults.rollout; docs/manifest.md).
struct RolloutSettings {
  // How long each replacement has to be started and healthy (and ready, with require_ready);
  // nullopt: 5 min for the openclaw layout, 2 min for clawdbot (deadline_for()).
  std::optional<std::chrono::milliseconds> deadline;
  bool require_ready = false;
  int keep_backups = 5;  // database copies kept in <state>/backups/ per database

  std::chrono::milliseconds deadline_for(const Profile& profile) const;
  bool operator==(const RolloutSettings&) const = default;
};

struct Manifest {
  std::string path;  // absolute path of the manifest file
  int version = 1;
  SupervisorSettings supervisor;
  // defaults.rollout: when present, `reload` and SIGHUP roll changed profiles one at a time.
  std::optional<RolloutSettings> rollout;
  std::vector<Profile> profiles;  // in manifest order

  const Profile* find(const std::string& name) const;
};

}  // namespace moltbot::config
