#include "moltbot/common/account.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

namespace moltbot {
namespace {

std::optional<unsigned long> numeric_id(const std::string& text) {
  unsigned long id = 0;
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || status != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

// One getpwnam_r/getgrgid_r style lookup, with a buffer grown until the entry fits. `lookup`
// returns the *_r function's result; `found` is set when an entry exists.
template <class Entry, class Lookup>
std::variant<std::optional<Entry>, std::string> find_entry(std::vector<char>& buffer, Lookup lookup) {
  Entry entry{};
  Entry* found = nullptr;
  buffer.resize(4096);
  for (;;) {
    const int error = lookup(&entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    // ENOENT and friends: glibc documents several codes for "no such entry".
    if (error != 0 && error != ENOENT && error != ESRCH && error != EBADF && error != EPERM)
      return std::string(std::strerror(error));
    if (!found) return std::optional<Entry>{};
    return std::optional<Entry>(entry);
  }
}

std::vector<gid_t> group_list(const std::string& user, gid_t gid) {
  std::vector<gid_t> groups(32);
  for (;;) {
    int count = static_cast<int>(groups.size());
    if (::getgrouplist(user.c_str(), gid, groups.data(), &count) >= 0) {
      groups.resize(count);
      return groups;
    }
    groups.resize(std::max<std::size_t>(count, groups.size() * 2));
  }
}

}  // namespace

std::variant<Account, AccountError> find_account(const std::string& user, const std::string& group) {
  Account account;
  std::vector<char> user_buffer;
  const auto id = numeric_id(user);
  auto by_name = find_entry<passwd>(user_buffer, [&](passwd* entry, char* buffer, std::size_t size, passwd** found) {
    return id ? ::getpwuid_r(static_cast<uid_t>(*id), entry, buffer, size, found)
              : ::getpwnam_r(user.c_str(), entry, buffer, size, found);
  });
  if (auto* error = std::get_if<std::string>(&by_name))
    return AccountError{false, "cannot look up user \"" + user + "\": " + *error};
  const auto& pw = std::get<std::optional<passwd>>(by_name);
  if (!pw)
    return AccountError{false, "no user \"" + user + "\" on this host (not in the passwd database; adduser --system creates one)"};
  account.user = pw->pw_name;
  account.uid = pw->pw_uid;
  account.gid = pw->pw_gid;
  account.home = pw->pw_dir ? pw->pw_dir : "";

  std::vector<char> group_buffer;
  const auto gid = numeric_id(group);
  auto by_group = find_entry<struct group>(
      group_buffer, [&](struct group* entry, char* buffer, std::size_t size, struct group** found) {
        if (group.empty()) return ::getgrgid_r(account.gid, entry, buffer, size, found);
        return gid ? ::getgrgid_r(static_cast<gid_t>(*gid), entry, buffer, size, found)
                   : ::getgrnam_r(group.c_str(), entry, buffer, size, found);
      });
  if (auto* error = std::get_if<std::string>(&by_group))
    return AccountError{true, "cannot look up group \"" + group + "\": " + *error};
  const auto& gr = std::get<std::optional<struct group>>(by_group);
  if (gr) {
    account.gid = gr->gr_gid;
    account.group = gr->gr_name;
  } else if (!group.empty()) {
    return AccountError{true, "no group \"" + group + "\" on this host (not in the group database; addgroup --system creates one)"};
  } else {
    account.group = std::to_string(account.gid);  // a primary group without an entry of its own
  }
  account.groups = group_list(account.user, account.gid);
  return account;
}

Account own_account() {
  Account account;
  account.uid = ::geteuid();
  account.gid = ::getegid();
  const int count = ::getgroups(0, nullptr);
  account.groups.resize(count > 0 ? count : 0);
  if (count > 0) account.groups.resize(std::max(::getgroups(count, account.groups.data()), 0));
  if (std::find(account.groups.begin(), account.groups.end(), account.gid) == account.groups.end())
    account.groups.push_back(account.gid);
  std::vector<char> buffer;
  auto pw = find_entry<passwd>(buffer, [&](passwd* entry, char* data, std::size_t size, passwd** found) {
    return ::getpwuid_r(account.uid, entry, data, size, found);
  });
  const auto* entry = std::get_if<std::optional<passwd>>(&pw);
  account.user = entry && *entry ? (*entry)->pw_name : std::to_string(account.uid);
  account.home = entry && *entry && (*entry)->pw_dir ? (*entry)->pw_dir : "";
  account.group = std::to_string(account.gid);
  return account;
}

bool may_write(const Account& account, uid_t owner, gid_t group, mode_t mode) {
  if (account.uid == owner || (mode & S_IWOTH)) return true;
  return (mode & S_IWGRP) && std::find(account.groups.begin(), account.groups.end(), group) != account.groups.end();
}

}  // namespace moltbot
