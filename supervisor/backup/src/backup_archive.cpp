#include "moltbot/backup/backup_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <memory>
#include <vector>

#include "moltbot/backup/sqlite_copy.h"
#include "state_tree.h"

namespace moltbot::backup {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Error = std::optional<std::string>;

constexpr std::size_t chunk_bytes = 256 * 1024;

// archive_write_* into a descriptor, each entry checked against the limits first.
class ArchiveWriter {
 public:
  ArchiveWriter(const Limits& limits, BackupCounts& counts) : limits_(limits), counts_(counts) {}
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;
  ~ArchiveWriter() { archive_write_free(archive_); }

  Error open(int fd) {
    archive_ = archive_write_new();
    if (!archive_ || archive_write_add_filter_zstd(archive_) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(archive_) != ARCHIVE_OK ||
        archive_write_open_fd(archive_, fd) != ARCHIVE_OK)
      return failed("cannot start the archive");
    return std::nullopt;
  }

  Error add_directory(const std::string& path, const struct stat& info) {
    if (auto error = admit(path, 0)) return error;
    ++counts_.directories;
    return header(path, AE_IFDIR, 0700, 0, info.st_mtime);
  }

  // Exactly `size` bytes of `fd`: a file that shrinks meanwhile is padded with zeros, as tar does.
  Error add_file(const std::string& path, int fd, std::uint64_t size, mode_t mode, time_t mtime) {
    if (auto error = admit(path, size)) return error;
    ++counts_.files;
    if (auto error = header(path, AE_IFREG, (mode & 0700) | 0600, size, mtime)) return error;
    std::vector<char> buffer(chunk_bytes);
    std::uint64_t left = size;
    bool shrank = false;
    while (left > 0) {
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
      ssize_t got = shrank ? 0 : ::read(fd, buffer.data(), want);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return fmt::format("cannot read {}: {}", path, errno_text(errno));
      if (got == 0) {
        shrank = true;
        std::memset(buffer.data(), 0, want);
        got = static_cast<ssize_t>(want);
      }
      if (archive_write_data(archive_, buffer.data(), static_cast<std::size_t>(got)) != got) return failed("cannot write");
      left -= static_cast<std::uint64_t>(got);
    }
    if (shrank) ++counts_.changed_while_read;
    counts_.bytes += size;
    return std::nullopt;
  }

  Error close() {
    if (archive_write_close(archive_) != ARCHIVE_OK) return failed("cannot finish the archive");
    return std::nullopt;
  }

 private:
  Error admit(const std::string& path, std::uint64_t size) {
    if (counts_.files + counts_.directories + 1 > limits_.max_entries)
      return fmt::format("more than {} files and directories (the entry limit)", limits_.max_entries);
    if (counts_.bytes + size > limits_.max_bytes)
      return fmt::format("more than {} bytes of files (the size limit), reached at {}", limits_.max_bytes, path);
    if (path.size() > max_path_bytes) return fmt::format("a path longer than {} bytes: {}...", max_path_bytes, path.substr(0, 80));
    return std::nullopt;
  }

  Error header(const std::string& path, mode_t type, mode_t perm, std::uint64_t size, time_t mtime) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), type);
    archive_entry_set_perm(entry.get(), perm);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
    archive_entry_set_mtime(entry.get(), mtime, 0);
    if (archive_write_header(archive_, entry.get()) != ARCHIVE_OK) return failed("cannot write the entry " + path);
    return std::nullopt;
  }

  std::string failed(const std::string& what) const {
    const char* why = archive_ ? archive_error_string(archive_) : nullptr;
    return fmt::format("{}: {}", what, why ? why : "out of memory");
  }

  const Limits& limits_;
  BackupCounts& counts_;
  archive* archive_ = nullptr;
};

// Depth-first through the state dir's descriptors; databases through a private copy in `scratch`.
class StateWalk {
 public:
  StateWalk(ArchiveWriter& writer, BackupCounts& counts, int archive_fd, int scratch_fd, fs::path scratch)
      : writer_(writer), counts_(counts), archive_fd_(archive_fd), scratch_fd_(scratch_fd), scratch_(std::move(scratch)) {}

  Error walk(int dir_fd, const std::string& prefix, std::size_t depth) {
    if (depth > max_depth) return fmt::format("directories nested deeper than {} at {}", max_depth, prefix);
    auto names = list_directory(dir_fd);
    if (!names) return fmt::format("cannot list {}: {}", prefix, errno_text(errno));
    for (const auto& name : *names) {
      if (depth == 0 && kept_in_place(name)) continue;
      if (auto error = entry(dir_fd, name, prefix + "/" + name, depth)) return error;
    }
    return std::nullopt;
  }

 private:
  Error entry(int dir_fd, const std::string& name, const std::string& path, std::size_t depth) {
    struct stat info {};
    if (::fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return std::nullopt;  // removed since listed
      return fmt::format("cannot stat {}: {}", path, errno_text(errno));
    }
    if (is_own(info)) return std::nullopt;
    if (S_ISLNK(info.st_mode)) {
      ++counts_.skipped_symlinks;
      return std::nullopt;
    }
    if (S_ISDIR(info.st_mode)) {
      UniqueFd dir = open_directory(dir_fd, name);
      if (!dir) return fmt::format("cannot open {}: {}", path, errno_text(errno));
      if (auto error = writer_.add_directory(path + "/", info)) return error;
      return walk(dir.get(), path, depth + 1);
    }
    if (!S_ISREG(info.st_mode)) {
      ++counts_.skipped_special;
      return std::nullopt;
    }
    if (is_database_sidecar(name)) {
      ++counts_.skipped_sidecars;
      return std::nullopt;
    }
    UniqueFd file(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!file) {
      if (errno == ENOENT) return std::nullopt;
      return fmt::format("cannot open {}: {}", path, errno_text(errno));
    }
    if (::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
      ++counts_.skipped_special;  // replaced by something else since the stat
      return std::nullopt;
    }
    if (is_database_name(name) && is_sqlite_file(file.get())) return database(dir_fd, name, path, info);
    return writer_.add_file(path, file.get(), static_cast<std::uint64_t>(info.st_size), info.st_mode, info.st_mtime);
  }

  Error database(int dir_fd, const std::string& name, const std::string& path, const struct stat& info) {
    const std::string copy_name = fmt::format("{}.sqlite", ++copies_);
    if (auto error = copy_database(dir_fd, name, scratch_ / copy_name)) return error;
    UniqueFd copy(::openat(scratch_fd_, copy_name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat copied {};
    if (!copy || ::fstat(copy.get(), &copied) != 0) return fmt::format("cannot read the copy of {}: {}", path, errno_text(errno));
    ++counts_.databases;
    auto error = writer_.add_file(path, copy.get(), static_cast<std::uint64_t>(copied.st_size), info.st_mode, info.st_mtime);
    ::unlinkat(scratch_fd_, copy_name.c_str(), 0);
    return error;
  }

  // The archive being written and the scratch folder, when --out lies inside the state dir.
  bool is_own(const struct stat& info) const {
    for (int fd : {archive_fd_, scratch_fd_}) {
      struct stat own {};
      if (::fstat(fd, &own) == 0 && own.st_dev == info.st_dev && own.st_ino == info.st_ino) return true;
    }
    return false;
  }

  ArchiveWriter& writer_;
  BackupCounts& counts_;
  int archive_fd_;
  int scratch_fd_;
  fs::path scratch_;
  int copies_ = 0;
};

// The config file under config/, when it is a regular file outside the state dir.
Error add_config(ArchiveWriter& writer, const fs::path& state_dir, const fs::path& config_file) {
  const auto relative = config_file.lexically_relative(state_dir);
  if (!relative.empty() && *relative.begin() != "..") return std::nullopt;
  UniqueFd file(::open(config_file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!file && errno == ENOENT) return std::nullopt;
  struct stat info {};
  if (!file || ::fstat(file.get(), &info) != 0) return fmt::format("cannot open the config file {}: {}", config_file.string(), errno_text(errno));
  if (!S_ISREG(info.st_mode)) return fmt::format("the config file {} is not a regular file", config_file.string());
  return writer.add_file(std::string(config_member) + "/" + config_file.filename().string(), file.get(),
                         static_cast<std::uint64_t>(info.st_size), info.st_mode, info.st_mtime);
}

}  // namespace

BackupOutcome write_backup(const fs::path& state_dir, const std::optional<fs::path>& config_file, const fs::path& out,
                           const Limits& limits) {
  const auto started = Clock::now();
  UniqueFd state = open_directory(AT_FDCWD, state_dir.string());
  if (!state) return {std::nullopt, fmt::format("cannot open the state dir {}: {}", state_dir.string(), errno_text(errno))};
  const fs::path out_dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  UniqueFd dir = open_directory(AT_FDCWD, out_dir.string());
  if (!dir) return {std::nullopt, fmt::format("cannot open {}: {}", out_dir.string(), errno_text(errno))};
  const std::string name = out.filename().string();
  struct stat existing {};
  if (::fstatat(dir.get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0)
    return {std::nullopt, fmt::format("{} exists already: name another file", out.string())};

  // Written under a private name, renamed into place once complete.
  const std::string partial = fmt::format(".{}.partial-{}", name, ::getpid());
  UniqueFd file(::openat(dir.get(), partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!file) return {std::nullopt, fmt::format("cannot create {}: {}", (out_dir / partial).string(), errno_text(errno))};
  ::fchmod(file.get(), 0600);
  std::string scratch_name = (out_dir / fmt::format(".{}.databases-XXXXXX", name)).string();
  if (!::mkdtemp(scratch_name.data())) {
    const int error = errno;
    ::unlinkat(dir.get(), partial.c_str(), 0);
    return {std::nullopt, fmt::format("cannot create a folder beside {}: {}", out.string(), errno_text(error))};
  }
  const fs::path scratch = scratch_name;
  UniqueFd scratch_fd = open_directory(AT_FDCWD, scratch_name);

  BackupCounts counts;
  Error error;
  {
    ArchiveWriter writer(limits, counts);
    StateWalk walk(writer, counts, file.get(), scratch_fd.get(), scratch);
    error = writer.open(file.get());
    struct stat root {};
    ::fstat(state.get(), &root);
    if (!error && scratch_fd) error = writer.add_directory(std::string(state_member) + "/", root);
    if (!error && !scratch_fd) error = fmt::format("cannot open {}: {}", scratch_name, errno_text(errno));
    if (!error) error = walk.walk(state.get(), state_member, 0);
    if (!error && config_file) error = add_config(writer, state_dir, *config_file);
    if (!error) error = writer.close();
  }
  remove_tree(AT_FDCWD, scratch_name, scratch_name);
  struct stat written {};
  if (!error && (::fsync(file.get()) != 0 || ::fstat(file.get(), &written) != 0))
    error = fmt::format("cannot write {}: {}", out.string(), errno_text(errno));
  if (!error && ::renameat2(dir.get(), partial.c_str(), dir.get(), name.c_str(), RENAME_NOREPLACE) != 0)
    error = fmt::format("cannot rename the archive to {}: {}", out.string(), errno_text(errno));
  if (error) {
    ::unlinkat(dir.get(), partial.c_str(), 0);
    return {std::nullopt, *error};
  }
  counts.archive_bytes = static_cast<std::uint64_t>(written.st_size);
  counts.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  return {counts, {}};
}

}  // namespace moltbot::backup
