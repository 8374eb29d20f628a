#pragma once
// Real users and groups for one test: made with useradd/groupadd under a unique name
// (mbtu-XXXXXX, mbtg-XXXXXX) and deleted when the object goes away, also when the test fails.
// Needs root; tests SKIP without it (running_as_root()).
#include <sys/types.h>

#include <string>
#include <vector>

namespace moltbot::test {

bool running_as_root();

class SystemGroup {
 public:
  SystemGroup();
  ~SystemGroup();
  SystemGroup(const SystemGroup&) = delete;
  SystemGroup& operator=(const SystemGroup&) = delete;

  const std::string& name() const { return name_; }
  gid_t gid() const { return gid_; }
  // Makes `user` a member, or no longer one (gpasswd); false when that failed.
  bool add(const std::string& user) const;
  bool remove(const std::string& user) const;

 private:
  std::string name_;
  gid_t gid_ = 0;
};

// A system user with a group of its own name (useradd --system --user-group --no-create-home),
// member of `groups` besides, its home `home` (not created; /nonexistent/NAME when empty).
class SystemUser {
 public:
  explicit SystemUser(const std::vector<const SystemGroup*>& groups = {}, const std::string& home = {});
  ~SystemUser();
  SystemUser(const SystemUser&) = delete;
  SystemUser& operator=(const SystemUser&) = delete;

  const std::string& name() const { return name_; }
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }
  const std::string& home() const { return home_; }  // in the passwd database; not created

 private:
  std::string name_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  std::string home_;
};

}  // namespace moltbot::test
