#pragma once
// Real users and groups of this host for one test (needs root): unique names, deleted by the
// destructor whatever the test's outcome, and moltbot-supervisorctl run as one of them.
#include <sys/types.h>

#include <string>
#include <vector>

#include "moltbot/test/run_process.h"
#include "supervisor_fixture.h"

namespace moltbot::test {

// A name no account of this host has: PREFIX, the test's pid and a random number (at most 32
// characters, as useradd wants).
std::string unique_account_name(const std::string& prefix);

class SystemGroup {
 public:
  SystemGroup();
  ~SystemGroup();
  SystemGroup(const SystemGroup&) = delete;
  SystemGroup& operator=(const SystemGroup&) = delete;

  const std::string& name() const { return name_; }
  gid_t gid() const;
  bool add(const std::string& user) const;
  bool remove(const std::string& user) const;

 private:
  std::string name_;
};

// A system user without a home, with a group of its own name (its primary group), also deleted.
class SystemUser {
 public:
  // `groups`: supplementary groups (names).
  explicit SystemUser(const std::vector<std::string>& groups = {});
  ~SystemUser();
  SystemUser(const SystemUser&) = delete;
  SystemUser& operator=(const SystemUser&) = delete;

  const std::string& name() const { return name_; }
  uid_t uid() const;

 private:
  std::string name_;
};

// `moltbot-supervisorctl --socket <fleet's socket> ARGS...` run as `user`, with the groups a login
// of that user gets (setpriv --init-groups).
ProcessResult supervisorctl_as(const SupervisorFixture& fleet, const std::string& user,
                               const std::vector<std::string>& args);

}  // namespace moltbot::test
