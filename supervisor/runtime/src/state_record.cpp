#include "moltbot/runtime/state_record.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "moltbot/common/write_all.h"

namespace moltbot::runtime {

namespace {

// The state dir itself may be a symlink an operator made; the records in it may not.
int open_state_dir(const std::string& state_dir) {
  return ::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

}  // namespace

std::optional<std::string> write_state_record(const std::string& state_dir, std::string_view name,
                                              std::string_view text) {
  const std::string target(name), temp = target + ".tmp";
  const auto failed = [&](const char* what, int error) {
    return fmt::format("cannot {} {}/{}: {}", what, state_dir, target, std::strerror(error));
  };
  const int dir = open_state_dir(state_dir);
  if (dir < 0) return failed("write", errno);
  // O_NOFOLLOW: a symlink planted at the temporary name is refused, not written through.
  const int fd = ::openat(dir, temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    ::close(dir);
    return failed("write", error);
  }
  const auto give_up = [&](const char* what) {
    const int error = errno;
    ::close(fd);
    ::unlinkat(dir, temp.c_str(), 0);
    ::close(dir);
    return failed(what, error);
  };
  if (!write_all(fd, text)) return give_up("write");
  if (::fsync(fd) != 0) return give_up("sync");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlinkat(dir, temp.c_str(), 0);
    ::close(dir);
    return failed("write", error);
  }
  // rename replaces a symlink at the final name itself, never what it points to.
  if (::renameat(dir, temp.c_str(), dir, target.c_str()) != 0) {
    const int error = errno;
    ::unlinkat(dir, temp.c_str(), 0);
    ::close(dir);
    return failed("replace", error);
  }
  ::close(dir);
  return std::nullopt;
}

std::optional<std::string> read_state_record(const std::string& state_dir, std::string_view name) {
  const int dir = open_state_dir(state_dir);
  if (dir < 0) return std::nullopt;
  // O_NONBLOCK: a FIFO at the name must not hang the supervisor; it is refused below.
  const int fd = ::openat(dir, std::string(name).c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  ::close(dir);
  if (fd < 0) return std::nullopt;
  struct stat info {};
  std::optional<std::string> text;
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && static_cast<std::size_t>(info.st_size) <= max_state_record) {
    text.emplace();
    char buffer[4096];
    for (;;) {
      const ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) text.reset();
      if (got <= 0) break;
      text->append(buffer, static_cast<std::size_t>(got));
      if (text->size() > max_state_record) {  // grew while being read
        text.reset();
        break;
      }
    }
  }
  ::close(fd);
  return text;
}

void remove_state_record(const std::string& state_dir, std::string_view name) {
  const int dir = open_state_dir(state_dir);
  if (dir < 0) return;
  ::unlinkat(dir, std::string(name).c_str(), 0);
  ::close(dir);
}

}  // namespace moltbot::runtime
