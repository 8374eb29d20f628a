#pragma once
// Profile log files, written by a supervisor that is often root into a folder other programs may
// look into: every file is opened, created and rotated relative to the log dir's descriptor, with
// O_NOFOLLOW, and only a regular file of the supervisor's own with no other link is written. A
// symlink or hard link planted as PROFILE.log is refused, never followed. Files are 0640, their
// group socket_group when one is set (operators of the fleet may read them).
#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace moltbot::runtime {

// The log dir, held open once it could be opened, so renaming a path above it changes nothing.
class LogFolder {
 public:
  LogFolder(std::string path, std::optional<gid_t> group) : path_(std::move(path)), group_(group) {}
  ~LogFolder();
  LogFolder(const LogFolder&) = delete;
  LogFolder& operator=(const LogFolder&) = delete;

  const std::string& path() const { return path_; }
  std::optional<gid_t> group() const { return group_; }
  // The folder's descriptor, opened at the first call that finds the folder; -1 (errno set)
  // while it cannot be opened.
  int descriptor();

 private:
  std::string path_;
  std::optional<gid_t> group_;
  int fd_ = -1;
};

// One profile's log file with size rotation: NAME.log, then NAME.1.log ... NAME.<keep>.log, the
// names spdlog's rotating sink used.
class LogFile {
 public:
  // The file opened for appending (created 0640 when missing), or why it cannot be.
  static std::variant<LogFile, std::string> open(LogFolder& folder, const std::string& profile,
                                                 std::size_t rotate_bytes, std::size_t keep);
  LogFile(LogFile&& other) noexcept;
  LogFile& operator=(LogFile&& other) noexcept;
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile();

  // Appends `text`, rotating first when it would take the file past rotate_bytes. The reason on
  // failure; the file is then closed when the rotation failed.
  std::optional<std::string> append(std::string_view text);
  bool is_open() const { return fd_ >= 0; }

 private:
  LogFile(LogFolder& folder, std::string profile, std::size_t rotate_bytes, std::size_t keep)
      : folder_(&folder), profile_(std::move(profile)), rotate_bytes_(rotate_bytes), keep_(keep) {}
  std::optional<std::string> open_current();
  std::optional<std::string> rotate();
  std::string name(std::size_t index) const;
  std::string path_of(const std::string& name) const;

  LogFolder* folder_;
  std::string profile_;
  std::size_t rotate_bytes_;
  std::size_t keep_;
  int fd_ = -1;
  std::size_t size_ = 0;
};

}  // namespace moltbot::runtime
