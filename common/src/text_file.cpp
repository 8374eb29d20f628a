#include "moltbot/common/text_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace moltbot {
namespace {

// Closes the descriptor on every return path.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string open_error(int error) {
  switch (error) {
    case ENOENT:
      return "no such file";
    case EACCES:
    case EPERM:
      return "permission denied";
    case ENOTDIR:
      return "a parent of it is not a directory";
    case ELOOP:
      return "too many levels of symbolic links";
    default:
      return std::strerror(error);
  }
}

int line_of(std::string_view text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

// Length of the UTF-8 sequence starting at text[i], or 0 when it is not a valid one
// (overlong forms, surrogates and code points past U+10FFFF included).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned min_second = 0x80, max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min_second = 0xA0;
    if (lead == 0xED) max_second = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;
    if (lead == 0xF4) max_second = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < min_second || byte(i + 1) > max_second) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return length;
}

}  // namespace

std::string describe_size(std::size_t bytes) {
  constexpr std::size_t kib = 1024, mib = 1024 * 1024;
  if (bytes >= mib && bytes % mib == 0) return std::to_string(bytes / mib) + " MiB";
  if (bytes >= kib && bytes % kib == 0) return std::to_string(bytes / kib) + " KiB";
  return std::to_string(bytes) + " bytes";
}

TextFile read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return {std::nullopt, open_error(errno)};
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return {std::nullopt, open_error(errno)};
  if (S_ISDIR(info.st_mode)) return {std::nullopt, "is a directory"};
  if (!S_ISREG(info.st_mode)) return {std::nullopt, "is not a regular file"};
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size > max_bytes)
    return {std::nullopt, "is larger than " + describe_size(max_bytes) + " (" + std::to_string(size) + " bytes)"};

  std::string text;
  text.reserve(size);
  char chunk[65536];
  // Read to the end rather than `size` bytes: the file may have changed since fstat.
  while (text.size() <= max_bytes) {
    const ssize_t got = ::read(fd.get(), chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return {std::nullopt, open_error(errno)};
    if (got == 0) break;
    text.append(chunk, static_cast<std::size_t>(got));
  }
  if (text.size() > max_bytes) return {std::nullopt, "is larger than " + describe_size(max_bytes)};
  return {std::move(text), {}};
}

std::optional<std::string> non_text_reason(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\0') return "NUL byte at line " + std::to_string(line_of(text, i));
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) return "invalid UTF-8 at line " + std::to_string(line_of(text, i));
    i += length;
  }
  return std::nullopt;
}

}  // namespace moltbot
