#include "moltbot/common/host_accounts.h"

#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <vector>

namespace moltbot {

namespace {

// getpwnam_r and getgrnam_r alike: a bigger buffer while the entry does not fit (a group with
// thousands of members).
template <typename Entry, typename Lookup>
const Entry* find_entry(const std::string& name, Entry& entry, std::vector<char>& buffer, Lookup lookup) {
  for (buffer.resize(16384); buffer.size() <= (std::size_t{1} << 24); buffer.resize(buffer.size() * 4)) {
    Entry* found = nullptr;
    const int error = lookup(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (error != ERANGE) return error == 0 ? found : nullptr;
  }
  return nullptr;
}

}  // namespace

std::optional<uid_t> user_id(const std::string& name) {
  passwd entry{};
  std::vector<char> buffer;
  if (const passwd* found = find_entry(name, entry, buffer, ::getpwnam_r)) return found->pw_uid;
  return std::nullopt;
}

std::optional<gid_t> group_id(const std::string& name) {
  group entry{};
  std::vector<char> buffer;
  if (const group* found = find_entry(name, entry, buffer, ::getgrnam_r)) return found->gr_gid;
  return std::nullopt;
}

}  // namespace moltbot
