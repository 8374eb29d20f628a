#include "moltbot/backup/restore_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>
#include <set>
#include <vector>

#include "moltbot/backup/sqlite_copy.h"
#include "moltbot/common/write_all.h"
#include "state_tree.h"

namespace moltbot::backup {
namespace {

namespace fs = std::filesystem;
using Error = std::optional<std::string>;

constexpr std::size_t chunk_bytes = 256 * 1024;

// A tar archive, plain or zstd-compressed, read from `fd` from its start.
class ArchiveReader {
 public:
  ArchiveReader() = default;
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;
  ~ArchiveReader() { archive_read_free(archive_); }

  Error open(int fd) {
    if (::lseek(fd, 0, SEEK_SET) != 0) return fmt::format("cannot read it: {}", errno_text(errno));
    archive_ = archive_read_new();
    if (!archive_ || archive_read_support_filter_zstd(archive_) != ARCHIVE_OK ||
        archive_read_support_format_tar(archive_) != ARCHIVE_OK || archive_read_open_fd(archive_, fd, 64 * 1024) != ARCHIVE_OK)
      return failed("not a tar archive (plain or zstd)");
    return std::nullopt;
  }

  // The next entry; nullptr at the end or (error set) when the archive is damaged.
  archive_entry* next(Error& error) {
    archive_entry* entry = nullptr;
    const int result = archive_read_next_header(archive_, &entry);
    if (result == ARCHIVE_EOF) return nullptr;
    if (result != ARCHIVE_OK) {
      error = failed(fmt::format("damaged after {} entries", entries_));
      return nullptr;
    }
    ++entries_;
    return entry;
  }

  std::uint64_t entries() const { return entries_; }
  archive* get() const { return archive_; }

  std::string failed(const std::string& what) const {
    const char* why = archive_ ? archive_error_string(archive_) : nullptr;
    return why ? fmt::format("{} ({})", what, why) : what;
  }

 private:
  archive* archive_ = nullptr;
  std::uint64_t entries_ = 0;
};

const char* type_name(mode_t type) {
  switch (type) {
    case AE_IFLNK: return "a symlink";
    case AE_IFSOCK: return "a socket";
    case AE_IFCHR: return "a character device";
    case AE_IFBLK: return "a block device";
    case AE_IFIFO: return "a FIFO";
    default: return "not a regular file or directory";
  }
}

// The components of an entry's path; the reason it is refused otherwise.
struct Checked {
  std::vector<std::string> parts;
  std::string refusal;
};

Checked split_path(std::string_view path) {
  if (path.empty()) return {{}, "an empty path"};
  if (path.size() > max_path_bytes) return {{}, fmt::format("a path longer than {} bytes", max_path_bytes)};
  if (path.front() == '/') return {{}, "an absolute path"};
  if (path.find('\0') != std::string_view::npos) return {{}, "a NUL in its path"};
  if (path.ends_with('/')) path.remove_suffix(1);
  Checked checked;
  while (true) {
    const auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (part == "..") return {{}, "a \"..\" component"};
    if (part.empty() || part == ".") return {{}, "an empty or \".\" component"};
    checked.parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (checked.parts.size() > max_depth + 1) return {{}, fmt::format("more than {} directories on its path", max_depth)};
  return checked;
}

// "a/b/c"
std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : "/") + part;
  return text;
}

// What the first pass learns: the state entries to extract, as "state/a/b".
struct Survey {
  StagedCounts counts;
  std::set<std::string> paths;
  bool has_state = false;
};

// Why an entry under state/ may not be restored, if it may not.
std::optional<std::string> state_refusal(const std::vector<std::string>& parts, bool file) {
  if (parts.size() == 1) return file ? std::optional<std::string>("state must be a directory") : std::nullopt;
  if (kept_in_place(parts[1])) return "a name the state dir keeps in place";
  if (file && is_database_sidecar(parts.back())) return "a database sidecar: archives hold consolidated databases";
  return std::nullopt;
}

Error refuse(const ArchiveReader& reader, const char* path, const std::string& why) {
  return fmt::format("entry {} \"{}\": {}", reader.entries(), path ? std::string(path).substr(0, 200) : "", why);
}

// Pass 1: every header judged, nothing written.
Error survey(int fd, const Limits& limits, Survey& survey) {
  ArchiveReader reader;
  if (auto error = reader.open(fd)) return error;
  Error error;
  std::uint64_t bytes = 0;
  while (archive_entry* entry = reader.next(error)) {
    if (reader.entries() > limits.max_entries)
      return fmt::format("more than {} entries (the entry limit)", limits.max_entries);
    const char* path = archive_entry_pathname(entry);
    Checked checked = split_path(path ? path : "");
    if (!checked.refusal.empty()) return refuse(reader, path, checked.refusal);
    const mode_t type = archive_entry_filetype(entry);
    if (archive_entry_hardlink(entry)) return refuse(reader, path, "a hard link");
    if (type != AE_IFREG && type != AE_IFDIR) return refuse(reader, path, type_name(type));
    const bool file = type == AE_IFREG;
    const std::string& top = checked.parts.front();
    if (top == config_member) {
      if (!file || checked.parts.size() != 2) return refuse(reader, path, "config/ holds one file and nothing else");
      ++survey.counts.config_files;
    } else if (top != state_member) {
      return refuse(reader, path, "outside state/ and config/");
    } else if (auto why = state_refusal(checked.parts, file)) {
      return refuse(reader, path, *why);
    } else {
      if (!survey.paths.insert(joined(checked.parts)).second) return refuse(reader, path, "appears twice");
      ++(file ? survey.counts.files : survey.counts.directories);
    }
    survey.has_state = survey.has_state || top == state_member;
    if (file) {
      const la_int64_t size = archive_entry_size(entry);
      if (!archive_entry_size_is_set(entry) || size < 0) return refuse(reader, path, "no size");
      if (static_cast<std::uint64_t>(size) > limits.max_bytes - bytes)
        return refuse(reader, path, fmt::format("{} bytes: over the size limit of {} bytes", size, limits.max_bytes));
      bytes += static_cast<std::uint64_t>(size);
    }
    if (archive_read_data_skip(reader.get()) != ARCHIVE_OK) return reader.failed("damaged");
  }
  if (error) return error;
  if (!survey.has_state) return std::string("holds no state/ entries: not a profile backup");
  survey.counts.bytes = bytes;
  return std::nullopt;
}

// Pass 2: state/ into the staging folder, every name created relative to its parent. Only what
// pass 1 judged is written: an archive changed in between (its file rewritten) is refused.
class Extraction {
 public:
  Extraction(int staging_fd, std::optional<Owner> owner, const Survey& survey)
      : staging_fd_(staging_fd), owner_(owner), survey_(survey) {}

  Error run(int fd, std::vector<std::string>& databases) {
    ArchiveReader reader;
    if (auto error = reader.open(fd)) return error;
    Error error;
    while (archive_entry* entry = reader.next(error)) {
      Checked checked = split_path(archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "");
      const mode_t type = archive_entry_filetype(entry);
      if (!checked.refusal.empty() || archive_entry_hardlink(entry) || (type != AE_IFREG && type != AE_IFDIR) ||
          (checked.parts.front() == state_member && !survey_.paths.contains(joined(checked.parts))))
        return refuse(reader, archive_entry_pathname(entry), "changed since it was verified");
      if (checked.parts.front() != state_member || checked.parts.size() == 1) continue;
      const std::vector<std::string> parts(checked.parts.begin() + 1, checked.parts.end());
      UniqueFd parent = directory_of(parts);
      if (!parent) return fmt::format("cannot create the folders of {}: {}", archive_entry_pathname(entry), errno_text(errno));
      if (archive_entry_filetype(entry) == AE_IFDIR) {
        if (auto made = make_directory(parent.get(), parts.back(), archive_entry_pathname(entry))) return made;
        continue;
      }
      bool database = false;
      if (auto written = write_file(reader, parent.get(), parts.back(), entry, database)) return written;
      if (database) databases.push_back(joined(parts));
    }
    return error;
  }

 private:
  Error make_directory(int parent, const std::string& name, const std::string& shown) {
    if (::mkdirat(parent, name.c_str(), 0700) != 0) {
      if (errno == EEXIST) return std::nullopt;
      return fmt::format("cannot create {}: {}", shown, errno_text(errno));
    }
    UniqueFd dir = open_directory(parent, name);
    if (!dir) return fmt::format("cannot open {}: {}", shown, errno_text(errno));
    return give(dir.get(), owner_, shown);
  }

  // The directory holding the last of `parts`, its missing folders made (a tar may list a file
  // before, or without, its folder).
  UniqueFd directory_of(const std::vector<std::string>& parts) {
    UniqueFd dir = open_directory(staging_fd_, ".");
    for (std::size_t i = 0; dir && i + 1 < parts.size(); ++i) {
      if (make_directory(dir.get(), parts[i], parts[i])) return UniqueFd();
      dir = open_directory(dir.get(), parts[i]);
    }
    return dir;
  }

  // `database`: the file is a SQLite database (by name and header), to be checked.
  Error write_file(ArchiveReader& reader, int parent, const std::string& name, archive_entry* entry, bool& database) {
    const char* shown = archive_entry_pathname(entry);
    UniqueFd file(::openat(parent, name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file) return fmt::format("cannot create {}: {}", shown, errno_text(errno));
    if (auto given = give(file.get(), owner_, shown)) return given;
    const la_int64_t size = archive_entry_size(entry);
    std::vector<char> buffer(chunk_bytes);
    la_int64_t total = 0;
    for (;;) {
      const la_ssize_t got = archive_read_data(reader.get(), buffer.data(), buffer.size());
      if (got < 0) return reader.failed(fmt::format("cannot read {}", shown));
      if (got == 0) break;
      total += got;
      written_ += static_cast<std::uint64_t>(got);
      if (total > size || written_ > survey_.counts.bytes)
        return fmt::format("{} holds more than its {} bytes", shown, size);
      if (!write_all(file.get(), std::string_view(buffer.data(), static_cast<std::size_t>(got))))
        return fmt::format("cannot write {}: {}", shown, errno_text(errno));
    }
    if (::fchmod(file.get(), (archive_entry_perm(entry) & 0700) | 0600) != 0 || ::fsync(file.get()) != 0)
      return fmt::format("cannot write {}: {}", shown, errno_text(errno));
    database = is_database_name(name) && is_sqlite_file(file.get());
    return std::nullopt;
  }

  int staging_fd_;
  std::optional<Owner> owner_;
  const Survey& survey_;
  std::uint64_t written_ = 0;
};

struct OpenedArchive {
  UniqueFd fd;
  std::string error;
};

OpenedArchive open_archive(const fs::path& archive) {
  UniqueFd fd(::open(archive.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat info {};
  if (!fd || ::fstat(fd.get(), &info) != 0) return {UniqueFd(), fmt::format("cannot open: {}", errno_text(errno))};
  if (!S_ISREG(info.st_mode)) return {UniqueFd(), "not a regular file"};
  return {std::move(fd), {}};
}

std::string about(const fs::path& archive, const std::string& error) {
  return fmt::format("archive {}: {}", archive.string(), error);
}

}  // namespace

StageOutcome verify_archive(const fs::path& archive, const Limits& limits) {
  OpenedArchive opened = open_archive(archive);
  if (!opened.fd) return {std::nullopt, about(archive, opened.error)};
  Survey found;
  if (auto error = survey(opened.fd.get(), limits, found)) return {std::nullopt, about(archive, *error)};
  return {found.counts, {}};
}

StageOutcome stage_archive(const fs::path& archive, const fs::path& state_dir, const Limits& limits) {
  OpenedArchive opened = open_archive(archive);
  if (!opened.fd) return {std::nullopt, about(archive, opened.error)};
  Survey found;
  if (auto error = survey(opened.fd.get(), limits, found)) return {std::nullopt, about(archive, *error)};

  UniqueFd state = open_directory(AT_FDCWD, state_dir.string());
  if (!state) return {std::nullopt, fmt::format("cannot open the state dir {}: {}", state_dir.string(), errno_text(errno))};
  const std::string shown = (state_dir / staging_name).string();
  if (auto error = remove_tree(state.get(), staging_name, shown)) return {std::nullopt, *error};
  if (::mkdirat(state.get(), staging_name, 0700) != 0)
    return {std::nullopt, fmt::format("cannot create {}: {}", shown, errno_text(errno))};
  UniqueFd staging = open_directory(state.get(), staging_name);
  const std::optional<Owner> owner = owner_for(state.get());
  Error error;
  if (!staging) error = fmt::format("cannot open {}: {}", shown, errno_text(errno));
  if (!error) error = give(staging.get(), owner, shown);
  std::vector<std::string> databases;
  if (!error) error = Extraction(staging.get(), owner, found).run(opened.fd.get(), databases);
  for (const auto& database : databases) {
    if (error) break;
    if (auto problem = check_integrity(fs::path(shown) / database))
      error = about(archive, fmt::format("database state/{}: {}", database, *problem));
  }
  if (error) {
    remove_tree(state.get(), staging_name, shown);
    return {std::nullopt, error->starts_with("archive ") ? *error : about(archive, *error)};
  }
  found.counts.databases = databases.size();
  return {found.counts, {}};
}

}  // namespace moltbot::backup
