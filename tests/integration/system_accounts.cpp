#include "system_accounts.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <stdexcept>

namespace moltbot::test {

namespace {

ProcessResult run_tool(std::vector<std::string> argv) {
  ProcessRun run;
  run.argv = std::move(argv);
  run.env = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}};
  return run_process(run);
}

}  // namespace

std::string unique_account_name(const std::string& prefix) {
  return prefix + std::to_string(::getpid()) + "-" + std::to_string(std::random_device()() % 100000);
}

SystemGroup::SystemGroup() : name_(unique_account_name("moltbot-t")) {
  auto added = run_tool({"/usr/sbin/groupadd", name_});
  if (added.exit_code != 0) throw std::runtime_error("groupadd " + name_ + " failed: " + added.err);
}

SystemGroup::~SystemGroup() { run_tool({"/usr/sbin/groupdel", name_}); }

gid_t SystemGroup::gid() const {
  const group* entry = ::getgrnam(name_.c_str());
  return entry ? entry->gr_gid : static_cast<gid_t>(-1);
}

bool SystemGroup::add(const std::string& user) const {
  return run_tool({"/usr/bin/gpasswd", "-a", user, name_}).exit_code == 0;
}

bool SystemGroup::remove(const std::string& user) const {
  return run_tool({"/usr/bin/gpasswd", "-d", user, name_}).exit_code == 0;
}

SystemUser::SystemUser(const std::vector<std::string>& groups) : name_(unique_account_name("moltbot-u")) {
  std::vector<std::string> argv{"/usr/sbin/useradd", "--system", "--no-create-home", "--user-group",
                                "--shell",           "/usr/sbin/nologin"};
  if (!groups.empty()) {
    std::string list;
    for (const auto& group : groups) list += (list.empty() ? "" : ",") + group;
    argv.insert(argv.end(), {"--groups", list});
  }
  argv.push_back(name_);
  auto added = run_tool(argv);
  if (added.exit_code != 0) throw std::runtime_error("useradd " + name_ + " failed: " + added.err);
}

// userdel removes the user's own group with it.
SystemUser::~SystemUser() { run_tool({"/usr/sbin/userdel", name_}); }

uid_t SystemUser::uid() const {
  const passwd* entry = ::getpwnam(name_.c_str());
  return entry ? entry->pw_uid : static_cast<uid_t>(-1);
}

ProcessResult supervisorctl_as(const SupervisorFixture& fleet, const std::string& user,
                               const std::vector<std::string>& args) {
  const passwd* entry = ::getpwnam(user.c_str());
  if (!entry) throw std::runtime_error("no user " + user);
  ProcessRun run;
  run.argv = {"/usr/bin/setpriv", "--reuid=" + user, "--regid=" + std::to_string(entry->pw_gid), "--init-groups",
              "--", MOLTBOT_SUPERVISORCTL_BIN, "--socket", fleet.control_socket().string()};
  run.argv.insert(run.argv.end(), args.begin(), args.end());
  run.env = {{"PATH", "/usr/bin:/bin"}};
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"})
    if (const char* value = std::getenv(name)) run.env[name] = value;
  return run_process(run);
}

}  // namespace moltbot::test
