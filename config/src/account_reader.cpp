#include "account_reader.h"

#include <unistd.h>

#include <fmt/format.h>

namespace moltbot::config::loader {
namespace {

std::optional<std::string> name_in(const yaml::Entry& entry, const char* field, const FieldReader& reader) {
  auto text = reader.scalar_text(*entry.value, field);
  if (text && text->empty()) {
    reader.field_error("bad-value", entry.value->where, field, "must not be empty");
    return std::nullopt;
  }
  return text;
}

// A supervisor that is not root cannot change its uid or gid: the account must be its own.
void check_switch_allowed(const Account& account, const yaml::Entry* user, const yaml::Entry* group,
                          const FieldReader& reader) {
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  if (uid == 0 || (account.uid == uid && account.gid == gid)) return;
  const bool group_only = account.uid == uid;
  const yaml::Entry* blamed = group_only && group ? group : user ? user : group;
  reader.field_error(
      "needs-root", blamed->value->where, blamed == group ? "group" : "user",
      fmt::format("the gateway would run as user \"{}\" (uid {}) and group \"{}\" (gid {}), but the supervisor runs "
                  "as uid {} gid {}: only a supervisor started as root can run a gateway as another user or group",
                  account.user, account.uid, account.group, account.gid, uid, gid));
}

}  // namespace

void read_account(const yaml::Node& mapping, const FieldReader& reader, SettingsTarget& target) {
  if (mapping.kind != yaml::Node::Kind::mapping) return;
  const yaml::Entry* user = mapping.find("user");
  const yaml::Entry* group = mapping.find("group");
  if (!user && !group) return;
  Profile& profile = target.profile;
  // What this mapping inherited: an explicit user (possibly unknown, reported where it is written).
  const bool inherited_user = profile.field_locations.count("user") > 0;
  const bool inherited_group = profile.field_locations.count("group") > 0;
  const std::optional<Account> inherited = profile.run_as;

  std::optional<std::string> user_name, group_name = std::string();
  if (user && !(user_name = name_in(*user, "user", reader))) return;
  if (group && !(group_name = name_in(*group, "group", reader))) return;
  if (user) target.record("user", user->value->where);
  if (group) target.record("group", group->value->where);
  profile.run_as.reset();
  if (!user && inherited) user_name = inherited->user;
  if (!group && inherited_group && inherited) group_name = inherited->group;
  if (!user_name) {
    if (!inherited_user)
      reader.field_error("bad-value", group->value->where, "group",
                         "needs a user as well (`user: NAME`): a gateway never runs as the supervisor's own user "
                         "with another group");
    return;
  }
  auto found = find_account(*user_name, *group_name);
  if (auto* error = std::get_if<AccountError>(&found)) {
    const yaml::Entry* blamed = error->of_group && group ? group : user ? user : group;
    reader.field_error(error->of_group ? "unknown-group" : "unknown-user", blamed->value->where,
                       blamed == group ? "group" : "user", error->message);
    return;
  }
  const Account& account = std::get<Account>(found);
  check_switch_allowed(account, user, group, reader);
  profile.run_as = account;
}

std::optional<Environment> account_environment(const Profile& profile, const Environment& env) {
  if (!profile.run_as) return std::nullopt;
  Environment with_home = env;
  with_home["HOME"] = profile.run_as->home;
  return with_home;
}

}  // namespace moltbot::config::loader
