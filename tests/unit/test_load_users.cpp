// `user` and `group`: looked up at load time, inherited from defaults, `~` as the user's home, the
// child's HOME/USER/LOGNAME, and the checks on accounts (runs-as-root, permission-overlap,
// rescue-shares-user). The system accounts every Debian host has (daemon, bin, group adm) stand in
// for gateway users; tests/integration creates real ones.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "load_fixture.h"
#include "moltbot/config/check_manifest.h"
#include "moltbot/config/child_environment.h"
#include "moltbot/config/run_as.h"

using namespace moltbot;
using namespace moltbot::config;
using moltbot::test::check_at;
using moltbot::test::clean_manifest;
using moltbot::test::listing;
using moltbot::test::ManifestFixture;
using moltbot::test::only_diagnostic;
namespace fs = std::filesystem;

namespace {

// Catch2 v2 has no SKIP: a case that needs root passes with a warning saying why it did nothing.
bool skipped_unless_root(const char* why) {
  if (::geteuid() == 0) return false;
  WARN("skipped: " << why);
  return true;
}

struct SystemUser {
  uid_t pw_uid;
  gid_t pw_gid;
  std::string pw_dir;
};

// A copy: getpwnam's result is overwritten by the next call.
SystemUser system_user(const char* name) {
  const passwd* entry = ::getpwnam(name);
  REQUIRE(entry);
  return {entry->pw_uid, entry->pw_gid, entry->pw_dir};
}

gid_t group_id(const char* name) {
  const group* entry = ::getgrnam(name);
  REQUIRE(entry);
  return entry->gr_gid;
}

bool has_group(const Account& account, gid_t gid) {
  return std::find(account.groups.begin(), account.groups.end(), gid) != account.groups.end();
}

// Diagnostics of `code` only, from loading and validating.
Diagnostics with_code(const CheckedManifest& checked, const std::string& code) {
  Diagnostics found;
  for (const Diagnostic& d : checked.diagnostics)
    if (d.code == code) found.push_back(d);
  return found;
}

}  // namespace

TEST_CASE("users: a name in defaults runs every profile as that user, ~ is its home", "[load][users]") {
  if (skipped_unless_root("a supervisor that is not root may run gateways only as itself")) return;
  ManifestFixture fx;
  const auto result = fx.load(R"(
version: 1
defaults:
  user: daemon
profiles:
  main:
    port: 18789
    workspace: ~/work-main
)");
  const Profile& main = clean_manifest(result).profiles.at(0);
  const SystemUser daemon = system_user("daemon");
  REQUIRE(main.run_as);
  CHECK(main.run_as->user == "daemon");
  CHECK(main.run_as->uid == daemon.pw_uid);
  CHECK(main.run_as->gid == daemon.pw_gid);
  CHECK(main.run_as->home == daemon.pw_dir);
  CHECK(has_group(*main.run_as, daemon.pw_gid));
  CHECK(main.state_dir == (fs::path(daemon.pw_dir) / ".openclaw-main").string());
  CHECK(main.workspace == (fs::path(daemon.pw_dir) / "work-main").string());
  CHECK(main.location_of("user").line == 3);
}

TEST_CASE("users: numeric ids, and a profile's user keeps the group it inherits", "[load][users]") {
  if (skipped_unless_root("a supervisor that is not root may run gateways only as itself")) return;
  ManifestFixture fx;
  const gid_t adm = group_id("adm");
  const auto result = fx.load(R"(
version: 1
defaults:
  user: daemon
  group: adm
profiles:
  main: {port: 18789, user: 2}
  other: {port: 20789, group: )" + std::to_string(group_id("bin")) + R"(}
  plain: {port: 22789}
)");
  const Manifest& manifest = clean_manifest(result);
  const Account& main = manifest.profiles.at(0).run_as.value();
  CHECK(main.user == "bin");
  CHECK(main.uid == system_user("bin").pw_uid);
  CHECK(main.gid == adm);
  CHECK(main.group == "adm");
  // initgroups(bin, adm): the group given plus every group listing the user.
  CHECK(has_group(main, adm));
  CHECK(main.home == system_user("bin").pw_dir);
  const Account& other = manifest.profiles.at(1).run_as.value();
  CHECK(other.user == "daemon");
  CHECK(other.gid == group_id("bin"));
  const Account& plain = manifest.profiles.at(2).run_as.value();
  CHECK(plain.user == "daemon");
  CHECK(plain.gid == adm);
}

TEST_CASE("users: unknown users and groups are errors at their line, naming them", "[load][users]") {
  ManifestFixture fx;
  SECTION("user") {
    const auto result = fx.load(R"(
version: 1
profiles:
  main:
    port: 18789
    user: mbtu-no-such-user
)");
    check_at(only_diagnostic(result), "unknown-user", 5, 11,
             "profile \"main\": field \"user\": no user \"mbtu-no-such-user\" on this host (not in the passwd "
             "database; adduser --system creates one)");
  }
  SECTION("numeric user") {
    const auto result = fx.load("version: 1\nprofiles:\n  main: {port: 18789, user: 4000000123}\n");
    check_at(only_diagnostic(result), "unknown-user", 3, 29,
             "profile \"main\": field \"user\": no user \"4000000123\" on this host (not in the passwd database; "
             "adduser --system creates one)");
  }
  SECTION("group, in defaults: reported once, at defaults") {
    const auto result = fx.load(R"(
version: 1
defaults:
  user: root
  group: mbtu-no-such-group
profiles:
  main: {port: 18789}
  other: {port: 20789}
)");
    check_at(only_diagnostic(result), "unknown-group", 4, 10,
             "field \"defaults.group\": no group \"mbtu-no-such-group\" on this host (not in the group database; "
             "addgroup --system creates one)");
  }
  SECTION("a group without a user") {
    const auto result = fx.load("version: 1\nprofiles:\n  main: {port: 18789, group: root}\n");
    check_at(only_diagnostic(result), "bad-value", 3, 30,
             "profile \"main\": field \"group\": needs a user as well (`user: NAME`): a gateway never runs as the "
             "supervisor's own user with another group");
  }
  SECTION("an empty user, and a list") {
    const auto result = fx.load("version: 1\nprofiles:\n  main: {port: 18789, user: \"\"}\n  b: {port: 20789, user: [a]}\n");
    INFO(listing(result.diagnostics));
    REQUIRE(result.diagnostics.size() == 2);
    check_at(result.diagnostics[0], "bad-value", 3, 29, "profile \"main\": field \"user\": must not be empty");
    CHECK(result.diagnostics[1].code == "wrong-type");
  }
}

TEST_CASE("users: a supervisor that is not root may name only itself", "[load][users]") {
  ManifestFixture fx;
  const std::string own = ::getpwuid(::geteuid())->pw_name;
  // Its own account is fine for anyone: nothing to switch.
  clean_manifest(fx.load("version: 1\nprofiles:\n  main: {port: 18789, user: " + own + "}\n"));
  if (::geteuid() == 0) return;  // root may name anyone; moltbot-supervisord check as nobody: test_check_cli
  const auto result = fx.load("version: 1\nprofiles:\n  main: {port: 18789, user: daemon}\n");
  CHECK(only_diagnostic(result).code == "needs-root");
}

TEST_CASE("users: the child gets HOME, USER and LOGNAME of its user", "[load][users]") {
  Profile profile;
  profile.name = "main";
  profile.run_as = Account{"gw", "gw", 1234, 1234, {1234}, "/var/lib/gw"};
  const auto child = child_environment(profile, {{"HOME", "/root"}, {"USER", "root"}, {"LOGNAME", "root"}});
  CHECK(child.env.at("HOME") == "/var/lib/gw");
  CHECK(child.env.at("USER") == "gw");
  CHECK(child.env.at("LOGNAME") == "gw");
  profile.run_as.reset();
  CHECK(child_environment(profile, {{"HOME", "/root"}}).env.at("HOME") == "/root");
}

TEST_CASE("users: a root supervisor warns about every gateway it would run as root", "[load][users]") {
  if (skipped_unless_root("the warning is a root supervisor's")) return;
  ManifestFixture fx;
  fx.write("fleet.yaml", "version: 1\nprofiles:\n  main: {port: 18789}\n  other: {port: 20789, user: daemon}\n"
                         "  root: {port: 22789, user: root}\n");
  const auto checked = check_manifest(fx.manifest_path(), fx.env);
  const Diagnostics warnings = with_code(checked, "runs-as-root");
  INFO(listing(checked.diagnostics));
  REQUIRE(warnings.size() == 2);
  check_at(warnings[0], "runs-as-root", 3, 3,
           "profile \"main\": the gateway would run as root (the supervisor runs as root and the profile sets no "
           "user); a compromised gateway would own the host, the other profiles and the supervisor: set `user` (the "
           ".deb creates the system user \"moltbot\")",
           Severity::warning);
  CHECK(warnings[1].profile == "root");
  CHECK(warnings[1].where.line == 5);
  CHECK(warnings[1].where.column == 29);
  CHECK(checked.valid());
  CHECK(root_gateway_warnings(*checked.manifest, 1000).empty());
}

TEST_CASE("users: a path another profile's user may write is a permission-overlap", "[validate][users]") {
  if (skipped_unless_root("needs root to hand folders to other users")) return;
  ManifestFixture fx;
  const SystemUser daemon = system_user("daemon");
  const gid_t adm = group_id("adm");
  const fs::path main_state = fx.root() / "main-state";
  fs::create_directory(main_state);
  REQUIRE(::chown(main_state.c_str(), daemon.pw_uid, adm) == 0);
  const std::string manifest = R"(version: 1
profiles:
  main:
    port: 18789
    user: daemon
    state_dir: main-state
  rescue:
    role: rescue
    port: 20789
    user: bin
    group: adm
    state_dir: rescue-state
)";
  fx.write("fleet.yaml", manifest);
  const auto check = [&] { return check_manifest(fx.manifest_path(), fx.env); };

  SECTION("private to its owner: fine") {
    REQUIRE(::chmod(main_state.c_str(), 0700) == 0);
    const auto checked = check();
    INFO(listing(checked.diagnostics));
    CHECK(checked.valid());
    CHECK(with_code(checked, "permission-overlap").empty());
  }
  SECTION("group-writable, and the other user is in the group") {
    REQUIRE(::chmod(main_state.c_str(), 0770) == 0);
    const auto checked = check();
    const Diagnostics found = with_code(checked, "permission-overlap");
    INFO(listing(checked.diagnostics));
    REQUIRE(found.size() >= 1);
    check_at(found[0], "permission-overlap", 6, 16,
             "profile \"main\": state dir " + main_state.string() + " (run by user \"daemon\", uid " +
                 std::to_string(daemon.pw_uid) + ") is writable by user \"bin\" (uid " +
                 std::to_string(system_user("bin").pw_uid) + ") of profile \"rescue\": it is in group gid " +
                 std::to_string(adm) + " (owner uid " + std::to_string(daemon.pw_uid) + ", group gid " +
                 std::to_string(adm) + ", mode 0770); only the profile's own user may write it");
    REQUIRE(found[0].related.size() >= 1);
    CHECK(found[0].related[0].where.line == 7);
    CHECK_FALSE(checked.valid());
  }
  SECTION("writable by everyone") {
    REQUIRE(::chmod(main_state.c_str(), 0777) == 0);
    const Diagnostics found = with_code(check(), "permission-overlap");
    REQUIRE(found.size() >= 1);
    CHECK_THAT(found[0].message, Catch::Contains("the mode lets everyone write"));
  }
  SECTION("not made yet, in a folder the other user may write") {
    fs::remove(main_state);
    REQUIRE(::chmod(fx.root().c_str(), 0777) == 0);
    const Diagnostics found = with_code(check(), "permission-overlap");
    REQUIRE(found.size() >= 1);
    CHECK_THAT(found[0].message, Catch::Contains("is writable through " + fx.root().string()));
  }
}

TEST_CASE("users: a rescue gateway sharing a user with another profile is a warning", "[validate][users]") {
  if (skipped_unless_root("root may name other users")) return;
  ManifestFixture fx;
  fx.write("fleet.yaml", "version: 1\ndefaults: {user: daemon}\nprofiles:\n  main: {port: 18789}\n"
                         "  rescue: {port: 20789, role: rescue}\n");
  const auto checked = check_manifest(fx.manifest_path(), fx.env);
  const Diagnostics found = with_code(checked, "rescue-shares-user");
  INFO(listing(checked.diagnostics));
  REQUIRE(found.size() == 1);
  check_at(found[0], "rescue-shares-user", 5, 3,
           "profile \"rescue\": the rescue gateway runs as user \"daemon\" (uid " +
               std::to_string(system_user("daemon").pw_uid) +
               "), as profile \"main\" does; a compromised \"main\" could rewrite the rescue gateway's state: give "
               "the rescue profile a user of its own",
           Severity::warning);
  CHECK(checked.valid());
}
