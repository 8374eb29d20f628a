// Gateways run as the users their profiles name (docs/manifest.md, "Users"), observed from
// /proc: ids and groups, no capabilities, NoNewPrivs, HOME/USER/LOGNAME; their folders handed to
// them; `check` reporting a permission overlap and refusing a user switch to a supervisor that is
// not root. Real users and groups, made for each test and deleted afterwards; needs root.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "moltbot/test/proc_stats.h"
#include "moltbot/test/run_process.h"
#include "moltbot/test/system_account.h"
#include "supervisor_fixture.h"

using namespace moltbot::test;
namespace fs = std::filesystem;

namespace {

// Catch2 v2 has no SKIP: a case that needs root passes with a warning saying why it did nothing.
bool skipped_unless_root(const char* why) {
  if (running_as_root()) return false;
  WARN("skipped: " << why);
  return true;
}

struct stat stat_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info;
}

// "1001\t1001\t1001\t1001": real, effective, saved and filesystem id, as /proc/PID/status shows them.
std::string four_times(unsigned id) {
  const std::string text = std::to_string(id);
  return text + "\t" + text + "\t" + text + "\t" + text;
}

std::set<unsigned> groups_of(pid_t pid) {
  std::set<unsigned> groups;
  std::istringstream words(status_field(pid, "Groups").value_or(""));
  for (unsigned gid = 0; words >> gid;) groups.insert(gid);
  return groups;
}

// The fixture's folder must be passable for the gateways' users (mkdtemp makes it 0700).
void open_for_gateways(SupervisorFixture& fleet) { REQUIRE(::chmod(fleet.dir.path().c_str(), 0711) == 0); }

ProcessResult check(const SupervisorFixture& fleet, const std::vector<std::string>& prefix = {}) {
  ProcessRun run;
  run.argv = prefix;
  run.argv.insert(run.argv.end(), {MOLTBOT_SUPERVISORD_BIN, "check", fleet.manifest.string()});
  run.env = {{"HOME", fleet.dir.path().string()}, {"PATH", "/usr/bin:/bin"}};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS"})
    if (const char* value = std::getenv(name)) run.env[name] = value;
  return run_process(run);
}

}  // namespace

TEST_CASE("each gateway runs as its profile's user, its groups, no capabilities, no new privileges") {
  if (skipped_unless_root("needs root to make users and to switch to them")) return;
  SystemGroup shared;
  SystemUser main_user({&shared});
  SystemUser rescue_user;
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"user", main_user.name()}})},
                                   {"rescue", rescue_profile({}, {{"user", rescue_user.name()}})}});
  open_for_gateways(fleet);
  fleet.start_supervisor();
  for (const auto* user : {&main_user, &rescue_user}) {
    const std::string profile = user == &main_user ? "main" : "rescue";
    INFO("profile " << profile << ", user " << user->name());
    const pid_t pid = fleet.running_pid(profile);
    REQUIRE(pid > 0);
    CHECK(status_field(pid, "Uid") == four_times(user->uid()));
    CHECK(status_field(pid, "Gid") == four_times(user->gid()));
    const std::set<unsigned> expected_groups =
        user == &main_user ? std::set<unsigned>{user->gid(), shared.gid()} : std::set<unsigned>{user->gid()};
    CHECK(groups_of(pid) == expected_groups);
    CHECK(status_field(pid, "NoNewPrivs") == "1");
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
      CHECK(status_field(pid, set) == "0000000000000000");

    const auto environ = environment_of(pid);
    CHECK(environ.count("HOME=" + user->home()));
    CHECK(environ.count("USER=" + user->name()));
    CHECK(environ.count("LOGNAME=" + user->name()));

    // Its folders and the config file seeded before the start are its own and private; the
    // folder above them stays root's, passable only.
    for (const char* folder : {"state", "workspace"}) {
      const auto info = stat_of(fleet.dir.path() / profile / folder);
      CHECK(info.st_uid == user->uid());
      CHECK(info.st_gid == user->gid());
      CHECK((info.st_mode & 07777) == 0700);
    }
    const auto config = stat_of(fleet.dir.path() / profile / "state" / "clawdbot.json");
    CHECK(config.st_uid == user->uid());
    CHECK((config.st_mode & 07777) == 0600);
    const auto above = stat_of(fleet.dir.path() / profile);
    CHECK(above.st_uid == 0u);
    CHECK((above.st_mode & 07777) == 0711);
    // Logs stay the supervisor's.
    CHECK(stat_of(fleet.dir.path() / "logs" / (profile + ".log")).st_uid == 0u);
  }
}

TEST_CASE("a state dir owned by someone else stops the profile with the chown that fixes it") {
  if (skipped_unless_root("needs root to make users and to switch to them")) return;
  SystemUser user;
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"user", user.name()}})}});
  open_for_gateways(fleet);
  fs::create_directories(fleet.dir.path() / "main" / "state");  // root's, as a fleet run as root left it
  auto& supervisor = fleet.start_supervisor();
  INFO(supervisor.err());
  REQUIRE(fleet.wait_state("main", "fatal"));  // the profile is refused; the supervisor runs on
  const fs::path state = fleet.dir.path() / "main" / "state";
  CHECK(fleet.status("main")["reason"] == "refused to start: state dir: " + state.string() +
                                              " is owned by uid 0, not by user \"" + user.name() + "\" (uid " +
                                              std::to_string(user.uid()) + ") who runs the gateway; give it and its "
                                              "contents to that user: chown -R " + user.name() + ":" + user.name() +
                                              " " + state.string() + "; parked until reset");
  CHECK(supervisor.running());
}

TEST_CASE("check reports a folder another profile's user may write, with owner and mode") {
  if (skipped_unless_root("needs root to make users")) return;
  SystemGroup shared;
  SystemUser main_user({&shared});
  SystemUser rescue_user({&shared});
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"user", main_user.name()}})},
                                   {"rescue", rescue_profile({}, {{"user", rescue_user.name()}})}});
  const fs::path state = fleet.dir.path() / "main" / "state";
  fs::create_directories(state);
  REQUIRE(::chown(state.c_str(), main_user.uid(), shared.gid()) == 0);
  REQUIRE(::chmod(state.c_str(), 0770) == 0);
  const auto result = check(fleet);
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out,
             Catch::Contains("error[permission-overlap]: profile \"main\": state dir " + state.string() +
                             " (run by user \"" + main_user.name() + "\", uid " + std::to_string(main_user.uid()) +
                             ") is writable by user \"" + rescue_user.name() + "\" (uid " +
                             std::to_string(rescue_user.uid()) + ") of profile \"rescue\": it is in group gid " +
                             std::to_string(shared.gid()) + " (owner uid " + std::to_string(main_user.uid()) +
                             ", group gid " + std::to_string(shared.gid()) + ", mode 0770)"));

  REQUIRE(::chmod(state.c_str(), 0700) == 0);
  const auto fixed = check(fleet);
  INFO(fixed.out);
  CHECK(fixed.exit_code == 0);
  CHECK_THAT(fixed.out, !Catch::Contains("permission-overlap") && !Catch::Contains("runs-as-root"));
}

TEST_CASE("check: a supervisor that is not root cannot run a gateway as another user") {
  if (skipped_unless_root("needs root to make users and to drop to nobody")) return;
  SystemUser user;
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"user", user.name()}})}});
  REQUIRE(::chmod(fleet.dir.path().c_str(), 0755) == 0);
  REQUIRE(::chmod(fleet.manifest.c_str(), 0644) == 0);
  const auto result =
      check(fleet, {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("error[needs-root]: profile \"main\": field \"user\": the gateway would run "
                                         "as user \"" + user.name() + "\"") &&
                             Catch::Contains("only a supervisor started as root can run a gateway as another user"));
}

TEST_CASE("check: an unknown user is an error naming it; a root gateway a warning") {
  SupervisorFixture fleet(Profiles{{"main", main_profile({}, {{"user", "mbtu-nobody-has-this"}})},
                                   {"other", main_profile()}});
  const auto result = check(fleet);
  INFO(result.out);
  CHECK(result.exit_code == 1);
  CHECK_THAT(result.out, Catch::Contains("error[unknown-user]: profile \"main\": field \"user\": no user "
                                         "\"mbtu-nobody-has-this\" on this host"));
  if (running_as_root())
    CHECK_THAT(result.out, Catch::Contains("warning[runs-as-root]: profile \"other\": the gateway would run as root"));
}
