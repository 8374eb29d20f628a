#pragma once
// Accounts of the passwd and group databases: who a profile's gateway runs as, and who may write
// a file it keeps.
#include <sys/types.h>

#include <string>
#include <variant>
#include <vector>

namespace moltbot {

struct Account {
  std::string user;   // passwd name
  std::string group;  // group name, or the number when the group has no entry
  uid_t uid = 0;
  gid_t gid = 0;
  // Supplementary groups as initgroups(user, gid) sets them: gid and every group listing the user.
  std::vector<gid_t> groups;
  std::string home;

  bool operator==(const Account&) const = default;
};

struct AccountError {
  bool of_group = false;  // the group is the problem, not the user
  std::string message;    // `no user "x" on this host (...)`
};

// `user` and `group` as a manifest writes them: a name or a numeric id; an empty `group` is the
// user's primary group.
std::variant<Account, AccountError> find_account(const std::string& user, const std::string& group);

// The account this process runs as: its effective ids and supplementary groups.
Account own_account();

// Whether `account` may write a file of this owner, group and mode: it owns it (an owner may
// chmod), or the mode lets its group or everyone write. Root is not special-cased here.
bool may_write(const Account& account, uid_t owner, gid_t group, mode_t mode);

}  // namespace moltbot
