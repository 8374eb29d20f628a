#include "moltbot/backup/database_copies.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <vector>

#include "moltbot/backup/sqlite_copy.h"
#include "moltbot/common/utc_stamp.h"
#include "moltbot/common/write_all.h"
#include "state_tree.h"

namespace moltbot::backup {
namespace {

namespace fs = std::filesystem;
using Error = std::optional<std::string>;

std::vector<std::string> databases_in(int dir_fd) {
  std::vector<std::string> found;
  for (const auto& name : list_directory(dir_fd).value_or(std::vector<std::string>{})) {
    if (!is_database_name(name)) continue;
    UniqueFd file(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat info {};
    if (file && ::fstat(file.get(), &info) == 0 && S_ISREG(info.st_mode) && is_sqlite_file(file.get()))
      found.push_back(name);
  }
  return found;
}

// Folders of backups/ beyond the newest `keep` are removed (their names sort by time).
void prune(int backups_fd, std::size_t keep, const std::string& shown) {
  auto names = list_directory(backups_fd).value_or(std::vector<std::string>{});
  for (std::size_t i = 0; i + keep < names.size(); ++i) remove_tree(backups_fd, names[i], shown + "/" + names[i]);
}

Error copy_bytes(int from, int to, const std::string& shown) {
  std::vector<char> buffer(256 * 1024);
  for (;;) {
    const ssize_t got = ::read(from, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return fmt::format("cannot read {}: {}", shown, errno_text(errno));
    if (got == 0) return std::nullopt;
    if (!write_all(to, std::string_view(buffer.data(), static_cast<std::size_t>(got))))
      return fmt::format("cannot write {}: {}", shown, errno_text(errno));
  }
}

}  // namespace

CopiesOutcome copy_state_databases(const fs::path& state_dir, std::size_t keep) {
  UniqueFd state = open_directory(AT_FDCWD, state_dir.string());
  if (!state) return {std::nullopt, fmt::format("cannot open the state dir {}: {}", state_dir.string(), errno_text(errno))};
  UniqueFd databases_dir = open_directory(state.get(), "state");
  const std::vector<std::string> names = databases_dir ? databases_in(databases_dir.get()) : std::vector<std::string>{};
  if (names.empty()) return {DatabaseCopies{}, {}};
  const std::optional<Owner> owner = owner_for(state.get());
  const fs::path backups = state_dir / copies_folder;
  if (::mkdirat(state.get(), copies_folder, 0700) != 0 && errno != EEXIST)
    return {std::nullopt, fmt::format("cannot create {}: {}", backups.string(), errno_text(errno))};
  UniqueFd backups_fd = open_directory(state.get(), copies_folder);
  if (!backups_fd) return {std::nullopt, fmt::format("cannot open {}: {}", backups.string(), errno_text(errno))};
  if (auto error = give(backups_fd.get(), owner, backups.string())) return {std::nullopt, *error};

  const std::string stamp = utc_stamp(/*milliseconds=*/true);
  DatabaseCopies copies{backups / stamp, {}, 0};
  if (::mkdirat(backups_fd.get(), stamp.c_str(), 0700) != 0)
    return {std::nullopt, fmt::format("cannot create {}: {}", copies.dir.string(), errno_text(errno))};
  UniqueFd copies_fd = open_directory(backups_fd.get(), stamp);
  Error error;
  if (!copies_fd) error = fmt::format("cannot open {}: {}", copies.dir.string(), errno_text(errno));
  if (!error) error = give(copies_fd.get(), owner, copies.dir.string());
  for (const auto& name : names) {
    if (error) break;
    const fs::path copy = copies.dir / name;
    error = copy_database(databases_dir.get(), name, copy);
    UniqueFd file(error ? -1 : ::openat(copies_fd.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat info {};
    if (!error && (!file || ::fstat(file.get(), &info) != 0)) error = fmt::format("cannot read {}: {}", copy.string(), errno_text(errno));
    if (!error) error = give(file.get(), owner, copy.string());
    if (!error) {
      ::fchmod(file.get(), 0600);
      copies.files.push_back(copy);
      copies.bytes += static_cast<std::uint64_t>(info.st_size);
    }
  }
  if (error) {
    remove_tree(backups_fd.get(), stamp, copies.dir.string());
    return {std::nullopt, *error};
  }
  prune(backups_fd.get(), std::max<std::size_t>(keep, 1), backups.string());
  return {std::move(copies), {}};
}

Error restore_state_databases(const fs::path& state_dir, const fs::path& copies_dir) {
  UniqueFd copies = open_directory(AT_FDCWD, copies_dir.string());
  if (!copies) return fmt::format("cannot open {}: {}", copies_dir.string(), errno_text(errno));
  UniqueFd state = open_directory(AT_FDCWD, state_dir.string());
  UniqueFd target = state ? open_directory(state.get(), "state") : UniqueFd();
  if (!target) return fmt::format("cannot open {}/state: {}", state_dir.string(), errno_text(errno));
  const std::optional<Owner> owner = owner_for(state.get());
  for (const auto& name : databases_in(copies.get())) {
    const std::string shown = (state_dir / "state" / name).string();
    if (auto problem = check_integrity(copies_dir / name)) return fmt::format("{}: {}", (copies_dir / name).string(), *problem);
    UniqueFd from(::openat(copies.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!from) return fmt::format("cannot open {}: {}", (copies_dir / name).string(), errno_text(errno));
    const std::string partial = "." + name + ".restoring";
    ::unlinkat(target.get(), partial.c_str(), 0);
    UniqueFd to(::openat(target.get(), partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!to) return fmt::format("cannot create {}: {}", shown, errno_text(errno));
    Error error = copy_bytes(from.get(), to.get(), shown);
    if (!error) error = give(to.get(), owner, shown);
    if (!error && ::fsync(to.get()) != 0) error = fmt::format("cannot write {}: {}", shown, errno_text(errno));
    // The old database's WAL must not be replayed into the copy: sidecars go first.
    for (const char* sidecar : {"-wal", "-shm", "-journal"}) {
      if (error) break;
      if (::unlinkat(target.get(), (name + sidecar).c_str(), 0) != 0 && errno != ENOENT)
        error = fmt::format("cannot remove {}{}: {}", shown, sidecar, errno_text(errno));
    }
    if (!error && ::renameat(target.get(), partial.c_str(), target.get(), name.c_str()) != 0)
      error = fmt::format("cannot replace {}: {}", shown, errno_text(errno));
    if (error) {
      ::unlinkat(target.get(), partial.c_str(), 0);
      return error;
    }
  }
  return std::nullopt;
}

}  // namespace moltbot::backup
