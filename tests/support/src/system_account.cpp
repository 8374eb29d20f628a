#include "moltbot/test/system_account.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <random>
#include <stdexcept>

#include "moltbot/test/run_process.h"

namespace moltbot::test {
namespace {

std::string unique_name(const char* prefix) {
  static const char digits[] = "0123456789abcdef";
  std::random_device random;
  std::string name = prefix;
  for (int i = 0; i < 8; ++i) name += digits[random() % 16];
  return name;
}

// useradd and friends exit 10 while another one holds the lock of /etc/passwd or /etc/group
// (tests run in parallel): run again, a bounded number of times.
ProcessResult run_admin_tool(const std::vector<std::string>& argv) {
  ProcessResult result;
  for (int attempt = 0; attempt < 20; ++attempt) {
    result = run_process(ProcessRun{argv, {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}}, std::nullopt});
    if (result.exit_code != 10) break;
  }
  return result;
}

void run_admin(std::vector<std::string> argv) {
  const auto result = run_admin_tool(argv);
  if (result.exit_code != 0)
    throw std::runtime_error(argv.front() + " " + argv.back() + " exited " + std::to_string(result.exit_code) + ": " +
                             result.err);
}

}  // namespace

bool running_as_root() { return ::geteuid() == 0; }

SystemGroup::SystemGroup() : name_(unique_name("mbtg-")) {
  run_admin({"/usr/sbin/groupadd", "--system", name_});
  const group* entry = ::getgrnam(name_.c_str());
  if (!entry) throw std::runtime_error("groupadd made no group " + name_);
  gid_ = entry->gr_gid;
}

bool SystemGroup::add(const std::string& user) const {
  return run_admin_tool({"/usr/bin/gpasswd", "-a", user, name_}).exit_code == 0;
}

bool SystemGroup::remove(const std::string& user) const {
  return run_admin_tool({"/usr/bin/gpasswd", "-d", user, name_}).exit_code == 0;
}

SystemGroup::~SystemGroup() {
  try {
    run_admin({"/usr/sbin/groupdel", name_});
  } catch (const std::exception&) {
    // Destructors do not throw; a group left behind is named by its mbtg- prefix.
  }
}

SystemUser::SystemUser(const std::vector<const SystemGroup*>& groups, const std::string& home)
    : name_(unique_name("mbtu-")) {
  std::vector<std::string> argv{"/usr/sbin/useradd", "--system", "--user-group", "--no-create-home",
                                "--home-dir", home.empty() ? "/nonexistent/" + name_ : home,
                                "--shell", "/usr/sbin/nologin"};
  std::string names;
  for (const SystemGroup* group : groups) names += (names.empty() ? "" : ",") + group->name();
  if (!names.empty()) argv.insert(argv.end(), {"--groups", names});
  argv.push_back(name_);
  run_admin(argv);
  const passwd* entry = ::getpwnam(name_.c_str());
  if (!entry) throw std::runtime_error("useradd made no user " + name_);
  uid_ = entry->pw_uid;
  gid_ = entry->pw_gid;
  home_ = entry->pw_dir;
}

SystemUser::~SystemUser() {
  try {
    // --force: a gateway killed at teardown may not be reaped yet. Its own group goes with it.
    run_admin({"/usr/sbin/userdel", "--force", name_});
  } catch (const std::exception&) {
    // As for SystemGroup.
  }
}

}  // namespace moltbot::test
