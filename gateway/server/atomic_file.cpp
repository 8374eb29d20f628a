#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "moltbot/common/write_all.h"

namespace moltbot::gateway {
namespace {

std::string failure(std::string_view what, const std::filesystem::path& path) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

}  // namespace

std::optional<std::string> write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return failure("cannot create", temp);
  if (!write_all(fd, content) || ::fsync(fd) != 0) {
    std::string error = failure("cannot write", temp);
    ::close(fd);
    return error;
  }
  if (::close(fd) != 0) return failure("cannot write", temp);
  // No fsync of the folder: after a power cut the rename may be lost, which leaves the old
  // whole file, and the gateway's start stays a few milliseconds (docs/benchmarks.md).
  if (::rename(temp.c_str(), path.c_str()) != 0) return failure("cannot replace", path);
  return std::nullopt;
}

}  // namespace moltbot::gateway
