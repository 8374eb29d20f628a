// Opt-in: a real OpenClaw gateway (openclaw@2026.9.6) under the real moltbot-supervisord with the
// default (openclaw) layout, driven with the product's own CLI through `moltbot-supervisorctl
// exec`, as a user would: the CLI and the supervisor see the same gateway, a restart the gateway
// plans is a planned restart (not a failure) whose handoff is consumed, `gateway install` is
// refused, `running` means /startupz says started, and the token reaches no log. Main and rescue
// also run as two users of their own. Under an emulated service manager with a descriptor store,
// the supervisor is killed with -9 and the next one adopts the running gateway.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>

#include "moltbot/test/child_process.h"
#include "moltbot/test/http_get.h"
#include "moltbot/test/ports.h"
#include "moltbot/test/proc_stats.h"
#include "moltbot/test/run_process.h"
#include "moltbot/test/system_account.h"
#include "moltbot/test/temp_dir.h"
#include "moltbot/test/wait_until.h"
#include "notify_listener.h"
#include "real_openclaw.h"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace moltbot::test;
using namespace moltbot::test::real;

namespace {

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The two users of a fleet whose gateways do not run as the test's own user.
struct GatewayUsers {
  const SystemUser* main;
  const SystemUser* rescue;
};

// What a RealFleet runs besides one `main` profile.
struct FleetOptions {
  std::optional<GatewayUsers> users;  // main and rescue, each as its user with its home in the scratch folder
  bool rescue = false;                // a rescue profile (implied by `users`)
  bool service_manager = false;       // NOTIFY_SOCKET and a descriptor store (notify_listener.h)
  // The bin folder of an installed release (its openclaw and node): the command names that
  // openclaw, so a change of release is a change of command, as a rolling reload sees it.
  std::optional<fs::path> release;
};

// Real profiles under a supervisor in a scratch HOME, as FleetOptions says.
struct RealFleet {
  explicit RealFleet(FleetOptions options = {})
      : port(find_free_port_block()), token(random_token()) {
    const auto& users = options.users;
    if (options.service_manager) listener.emplace(home.path() / "notify.sock");
    const auto env_file = home.write("main.env", "OPENCLAW_GATEWAY_TOKEN=" + token + "\n");
    ::chmod(env_file.c_str(), 0600);
    const fs::path bin = options.release.value_or(openclaw_bin().parent_path());
    path = bin.string() + ":/usr/bin:/bin";
    const std::string program = options.release ? (bin / "openclaw").string() : "openclaw";
    std::string profiles = "  main:\n"
                           "    port: " + std::to_string(port) + "\n"
                           "    env_file: main.env\n";
    if (users) profiles += "    user: " + users->main->name() + "\n";
    if (users || options.rescue) {
      rescue_port = find_free_port_block();
      while (std::abs(rescue_port - port) < gateway_footprint) rescue_port = find_free_port_block();
      const auto rescue_env = home.write("rescue.env", "OPENCLAW_GATEWAY_TOKEN=" + random_token() + "\n");
      ::chmod(rescue_env.c_str(), 0600);
      profiles += "  rescue:\n"
                  "    role: rescue\n"
                  // Started once main runs: two real gateways starting at once on 2 busy cores
                  // have missed their own 5 s state-lease deadline (exit 78).
                  "    autostart: false\n"
                  "    port: " + std::to_string(rescue_port) + "\n"
                  "    env_file: rescue.env\n";
      if (users) profiles += "    user: " + users->rescue->name() + "\n";
    }
    if (users) {
      // Their homes in the scratch folder, which they may pass through but not list.
      ::chmod(home.path().c_str(), 0711);
      for (const SystemUser* user : {users->main, users->rescue}) {
        fs::create_directory(user->home());
        ::chown(user->home().c_str(), user->uid(), user->gid());
        ::chmod(user->home().c_str(), 0700);
      }
    }
    manifest = home.write("fleet.yaml", "version: 1\n"
                                        "supervisor:\n"
                                        "  socket: " + socket().string() + "\n"
                                        "  log_dir: " + (home.path() / "log").string() + "\n"
                                        "defaults:\n"
                                        "  command: [" + program + ", --profile, \"{profile}\", gateway, --port, \"{port}\","
                                        " --bind, loopback, --allow-unconfigured]\n"
                                        "  env: {PATH: \"" + path + "\"}\n"
                                        "  health: {start_period: 300s}\n"
                                        "profiles:\n" + profiles);
    start_supervisor();
  }
  // A supervisor, as the service manager starts it: with what its store holds (LISTEN_FDS).
  void start_supervisor() {
    ChildOptions options;
    options.argv = {MOLTBOT_SUPERVISORD_BIN, "--manifest", manifest.string()};
    options.env = {{"HOME", home.path().string()}, {"PATH", path}};
    options.output_dir = home.path();
    options.name = "supervisord";
    std::optional<StoredFds> stored;
    if (listener) {
      options.env["NOTIFY_SOCKET"] = listener->path().string();
      stored.emplace(listener->stored());
      if (!stored->fds.empty()) {
        for (const auto& [name, value] : stored->listen_env()) options.env[name] = value;
        // The shell's pid is the supervisor's once it execs, as LISTEN_PID must be.
        options.argv.insert(options.argv.begin(), {"/bin/sh", "-c", "export LISTEN_PID=$$; exec \"$@\"", "sh"});
        options.passed_fds = stored->fds;
      }
    }
    supervisor = std::make_unique<ChildProcess>(options);
  }
  ~RealFleet() {
    ctl({"shutdown"});
    supervisor->wait_for_exit(60s);
  }

  fs::path socket() const { return home.path() / "supervisord.sock"; }

  ProcessResult ctl(const std::vector<std::string>& args, std::chrono::milliseconds deadline = 60s) const {
    ProcessRun run;
    run.argv = {MOLTBOT_SUPERVISORCTL_BIN, "--socket", socket().string()};
    run.argv.insert(run.argv.end(), args.begin(), args.end());
    run.env = {{"HOME", home.path().string()}, {"PATH", path}};
    run.deadline = deadline;
    return run_process(run);
  }
  // The product's own CLI for `main`, with the profile's environment: what a user types.
  ProcessResult openclaw(const std::vector<std::string>& args, std::chrono::milliseconds deadline = 120s) const {
    std::vector<std::string> command{"exec", "main", "--", "openclaw", "--profile", "main"};
    command.insert(command.end(), args.begin(), args.end());
    return ctl(command, deadline);
  }
  json status(const std::string& profile = "main") const {
    auto result = ctl({"status", profile, "--json"});
    auto parsed = json::parse(result.out, nullptr, false);
    return parsed.is_array() && !parsed.empty() ? parsed[0] : json();
  }
  bool wait_running(std::function<bool(const json&)> also = [](const json&) { return true; },
                    const std::string& profile = "main") const {
    return wait_until(
        [&] {
          auto now = status(profile);
          return now.is_object() && now["state"] == "running" && also(now);
        },
        healthy_deadline * 2, 500ms);
  }
  std::string startupz() const {
    auto reply = http_get("127.0.0.1", port, "/startupz", 10s);
    return reply.ok() ? reply.response->body : std::string();
  }

  TempDir home{"moltbot-real-fleet"};
  std::optional<NotifyListener> listener;
  int port;
  int rescue_port = 0;
  std::string token;
  std::string path;
  fs::path manifest;
  std::unique_ptr<ChildProcess> supervisor;
};

}  // namespace

TEST_CASE("a real gateway under the supervisor: its own CLI and the supervisor see the same gateway") {
  Subreaper subreaper;
  RealFleet fleet;
  INFO("supervisor stderr:\n" << fleet.supervisor->err());
  REQUIRE(fleet.wait_running());
  json first = fleet.status();
  INFO("status: " << first.dump());
  CHECK(first["restart_mode"] == "external");
  CHECK(first["restarts"] == 0);
  // Running means started, not only live.
  CHECK(json::parse(fleet.startupz(), nullptr, false).value("status", "") == "started");

  // The default layout is the product's: ~/.openclaw-main, with the port in its config file.
  const fs::path config = fleet.home.path() / ".openclaw-main" / "openclaw.json";
  REQUIRE(fs::exists(config));
  CHECK((fs::status(config).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(json::parse(slurp(config), nullptr, false)["gateway"]["port"] == fleet.port);

  auto gateway_status = fleet.openclaw({"gateway", "status"});
  INFO("gateway status:\n" << gateway_status.out << gateway_status.err);
  CHECK(gateway_status.out.find("Connectivity probe: ok") != std::string::npos);
  CHECK(gateway_status.out.find(std::to_string(fleet.port)) != std::string::npos);

  auto install = fleet.openclaw({"gateway", "install"});
  INFO("gateway install:\n" << install.out << install.err);
  CHECK((install.out + install.err).find("managed by an external supervisor") != std::string::npos);

  // A restart through the product's CLI is a planned restart: a new pid, no failure counted, the
  // handoff consumed.
  const int old_pid = first["pid"].get<int>();
  auto restart = fleet.openclaw({"gateway", "restart"}, 400s);
  INFO("gateway restart:\n" << restart.out << restart.err);
  CHECK(restart.exit_code == 0);
  REQUIRE(fleet.wait_running([&](const json& now) { return now["pid"] != old_pid; }));
  json after = fleet.status();
  INFO("status after: " << after.dump());
  CHECK(after["restarts"] == 0);
  CHECK(after["planned_restarts"] == 1);
  CHECK(json::parse(fleet.startupz(), nullptr, false).value("status", "") == "started");
  auto leftover = fleet.openclaw(
      {"gateway", "restart-handoff", "consume", "--expected-pid", std::to_string(old_pid), "--json"});
  CHECK(json::parse(leftover.out, nullptr, false).value("status", "") == "none");

  // The token is in no log the supervisor writes.
  for (const auto& entry : fs::directory_iterator(fleet.home.path() / "log"))
    CHECK(slurp(entry.path()).find(fleet.token) == std::string::npos);
  CHECK(fleet.supervisor->err().find(fleet.token) == std::string::npos);
}

TEST_CASE("real gateways as two users: main and rescue each run as their own, in their own homes") {
  if (!running_as_root()) {
    WARN("skipped: needs root to make users and to switch to them");
    return;
  }
  Subreaper subreaper;
  TempDir homes{"moltbot-real-homes"};
  ::chmod(homes.path().c_str(), 0711);
  SystemUser main_user({}, (homes.path() / "main").string());
  SystemUser rescue_user({}, (homes.path() / "rescue").string());
  FleetOptions options;
  options.users = GatewayUsers{&main_user, &rescue_user};
  RealFleet fleet(options);
  INFO("supervisor stderr:\n" << fleet.supervisor->err());
  REQUIRE(fleet.wait_running());
  const auto start = fleet.ctl({"start", "rescue"});
  INFO("start rescue: " << start.out << start.err);
  REQUIRE(start.exit_code == 0);
  REQUIRE(fleet.wait_running([](const json&) { return true; }, "rescue"));
  for (const auto& [profile, user, port] : {std::tuple{std::string("main"), &main_user, fleet.port},
                                            std::tuple{std::string("rescue"), &rescue_user, fleet.rescue_port}}) {
    INFO("profile " << profile << " as " << user->name());
    const json now = fleet.status(profile);
    const pid_t pid = now["pid"].get<int>();
    const std::string uid = std::to_string(user->uid());
    CHECK(status_field(pid, "Uid") == uid + "\t" + uid + "\t" + uid + "\t" + uid);
    CHECK(status_field(pid, "NoNewPrivs") == "1");
    CHECK(status_field(pid, "CapEff") == "0000000000000000");
    // Node's helpers too: everything in the gateway's process tree is the user's.
    for (const ProcInfo& helper : descendants_of(pid)) {
      const auto helper_uid = status_field(helper.pid, "Uid");
      // A helper that ended meanwhile (its pid perhaps another process's by now) proves nothing.
      if (!helper_uid || status_field(helper.pid, "PPid") != std::to_string(helper.ppid)) continue;
      CHECK(helper_uid->starts_with(uid + "\t"));
    }
    CHECK(http_get("127.0.0.1", port, "/healthz", 10s).ok());
    // The layout's default state dir in the user's home, the user's and private, with the
    // config file the supervisor seeded.
    const fs::path state = fs::path(user->home()) / (".openclaw-" + profile);
    struct stat info {};
    REQUIRE(::stat(state.c_str(), &info) == 0);
    CHECK(info.st_uid == user->uid());
    CHECK((info.st_mode & 07777) == 0700);
    REQUIRE(::stat((state / "openclaw.json").c_str(), &info) == 0);
    CHECK(info.st_uid == user->uid());
  }
}

TEST_CASE("a real gateway outlives a supervisor killed with -9 and is adopted by the next one") {
  Subreaper subreaper;
  FleetOptions options;
  options.service_manager = true;
  RealFleet fleet(options);
  INFO("supervisor stderr:\n" << fleet.supervisor->err());
  REQUIRE(fleet.wait_running());
  const json first = fleet.status();
  const int pid = first["pid"].get<int>();

  fleet.supervisor->signal(SIGKILL);
  REQUIRE(fleet.supervisor->wait_for_exit(10s));
  CHECK(http_get("127.0.0.1", fleet.port, "/healthz", 10s).ok());  // no supervisor, still serving
  const auto restarted = std::chrono::steady_clock::now();
  fleet.start_supervisor();
  INFO("second supervisor stderr:\n" << fleet.supervisor->err());
  REQUIRE(fleet.wait_running([&](const json& now) { return now["pid"] == pid; }));
  WARN("adopted pid " << pid << ", running again "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                                restarted).count()
                      << " ms after the new supervisor's start");
  const json after = fleet.status();
  CHECK(after["restarts"] == 0);
  CHECK(after["restart_mode"] == "external");
  CHECK(json::parse(fleet.startupz(), nullptr, false).value("status", "") == "started");
  CHECK(fleet.supervisor->err().find("profile main: adopted its gateway pid " + std::to_string(pid)) !=
        std::string::npos);
  auto gateway_status = fleet.openclaw({"gateway", "status"});
  INFO("gateway status:\n" << gateway_status.out << gateway_status.err);
  CHECK(gateway_status.out.find("Connectivity probe: ok") != std::string::npos);
}

TEST_CASE("a real gateway's state: backed up while it runs, its database copy exact for its own preflight, restored") {
  Subreaper subreaper;
  RealFleet fleet;
  INFO("supervisor stderr:\n" << fleet.supervisor->err());
  REQUIRE(fleet.wait_running());
  const int old_pid = fleet.status()["pid"].get<int>();
  const fs::path state = fleet.home.path() / ".openclaw-main";
  REQUIRE(fs::exists(state / "state" / "openclaw.sqlite"));

  const fs::path archive = fleet.home.path() / "main.tar.zst";
  auto backup = fleet.ctl({"--json", "backup", "main", "--out", archive.string()}, 300s);
  INFO("backup:\n" << backup.out << backup.err);
  REQUIRE(backup.exit_code == 0);
  const json made = json::parse(backup.out, nullptr, false);
  CHECK(made["databases"].get<int>() >= 1);
  CHECK(made["files"].get<int>() > made["databases"].get<int>());
  CHECK((fs::status(archive).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(fleet.status()["pid"] == old_pid);  // online

  // A pre-change copy as a rolling reload takes it, judged by the release's own preflight.
  ProcessRun copy;
  copy.argv = {MOLTBOT_BACKUP_BIN, "copy-databases", "--state", state.string(), "--keep", "1"};
  auto copied = run_process(copy);
  INFO("copy-databases:\n" << copied.out << copied.err);
  REQUIRE(copied.exit_code == 0);
  const json copies = json::parse(copied.out, nullptr, false);
  REQUIRE(!copies["files"].empty());
  const std::string database_copy = copies["files"][0].get<std::string>();
  auto preflight = fleet.openclaw({"database", "preflight", database_copy, "--json"}, 300s);
  INFO("preflight:\n" << preflight.out << preflight.err);
  CHECK(preflight.exit_code == 0);
  CHECK(json::parse(preflight.out, nullptr, false).value("status", "") == "exact");

  // What comes after the backup is gone after the restore, and kept aside.
  fleet.home.write(".openclaw-main/after-the-backup.txt", "later\n");
  auto restore = fleet.ctl({"--json", "restore", "main", "--from", archive.string(), "--timeout", "400s"}, 500s);
  INFO("restore:\n" << restore.out << restore.err);
  REQUIRE(restore.exit_code == 0);
  const json restored = json::parse(restore.out, nullptr, false);
  CHECK(!fs::exists(state / "after-the-backup.txt"));
  CHECK(fs::exists(fs::path(restored["previous_state"].get<std::string>()) / "after-the-backup.txt"));
  json now = fleet.status();
  CHECK(now["state"] == "running");
  CHECK(now["pid"] != old_pid);
  CHECK(json::parse(fleet.startupz(), nullptr, false).value("status", "") == "started");
  auto gateway_status = fleet.openclaw({"gateway", "status"});
  CHECK(gateway_status.out.find("Connectivity probe: ok") != std::string::npos);
}

namespace {

// The release a rolling change starts from: OPENCLAW_PREVIOUS_BIN (a bin folder), else where
// `scripts/install-openclaw.sh --version 2026.9.5` puts it.
std::optional<fs::path> previous_release() {
  const char* chosen = std::getenv("OPENCLAW_PREVIOUS_BIN");
  const fs::path bin = chosen ? fs::path(chosen) : fs::path("/opt/openclaw-2026.9.5/bin");
  if (::access((bin / "openclaw").c_str(), X_OK) != 0) return std::nullopt;
  return bin;
}

}  // namespace

TEST_CASE("a rolling reload moves real gateways from one installed release to another, main first, rescue last") {
  const auto previous = previous_release();
  if (!previous) {
    WARN("skipped: no second release (scripts/install-openclaw.sh --version 2026.9.5, or OPENCLAW_PREVIOUS_BIN)");
    return;
  }
  Subreaper subreaper;
  FleetOptions options;
  options.rescue = true;
  options.release = *previous;
  RealFleet fleet(options);
  INFO("supervisor stderr:\n" << fleet.supervisor->err());
  REQUIRE(fleet.wait_running());
  REQUIRE(fleet.ctl({"start", "rescue"}).exit_code == 0);  // by hand, once main runs (autostart: false)
  REQUIRE(fleet.wait_running([](const json&) { return true; }, "rescue"));
  const int main_pid = fleet.status()["pid"].get<int>();
  const int rescue_pid = fleet.status("rescue")["pid"].get<int>();
  auto version = [&] {
    auto shown = fleet.openclaw({"--version"});
    INFO("openclaw --version: " << shown.out << shown.err);
    return shown.out;
  };
  const std::string before = version();
  REQUIRE_THAT(before, Catch::Contains("2026.9.5"));

  // The operator's change: the manifest's command and PATH name the newer install.
  const fs::path next = openclaw_bin().parent_path();
  std::string yaml = slurp(fleet.manifest);
  for (auto at = yaml.find(previous->string()); at != std::string::npos; at = yaml.find(previous->string(), at))
    yaml.replace(at, previous->string().size(), next.string());
  fleet.home.write("fleet.yaml", yaml);
  const auto began = std::chrono::steady_clock::now();
  auto rolled = fleet.ctl({"--json", "reload", "--rolling", "--wait"}, 1500s);
  const auto took = std::chrono::steady_clock::now() - began;
  INFO("reload --rolling --wait:\n" << rolled.out << rolled.err);
  REQUIRE(rolled.exit_code == 0);
  auto text = rolled.out;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const json reply = json::parse(text.substr(text.rfind('\n') + 1), nullptr, false);
  CHECK(reply["rollout"] == "completed");
  CHECK(reply["replaced"] == json::array({"main", "rescue"}));
  WARN("rolled main and rescue from " << before.substr(0, before.find('\n')) << " in "
                                      << std::chrono::duration_cast<std::chrono::seconds>(took).count() << " s");

  const json main_now = fleet.status();
  const json rescue_now = fleet.status("rescue");
  CHECK(main_now["state"] == "running");
  CHECK(rescue_now["state"] == "running");  // up before, up again, though autostart: false
  CHECK(main_now["pid"] != main_pid);
  CHECK(rescue_now["pid"] != rescue_pid);
  CHECK(start_ticks(main_now["pid"].get<int>()) <= start_ticks(rescue_now["pid"].get<int>()));
  CHECK_THAT(version(), Catch::Contains("2026.9.6"));
  CHECK(json::parse(fleet.startupz(), nullptr, false).value("status", "") == "started");
  // Before main's command changed, its database was copied and judged by the new release's preflight.
  const fs::path backups = fleet.home.path() / ".openclaw-main" / "backups";
  CHECK((fs::exists(backups) && !fs::is_empty(backups)));
  CHECK_THAT(fleet.supervisor->err(), Catch::Contains("rollout: profile main replaced and running") &&
                                          Catch::Contains("rollout: profile rescue replaced and running"));
  auto gateway_status = fleet.openclaw({"gateway", "status"});
  INFO("gateway status:\n" << gateway_status.out << gateway_status.err);
  CHECK(gateway_status.out.find("Connectivity probe: ok") != std::string::npos);
}
