#include "moltbot/common/private_directories.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace moltbot {

std::optional<std::string> make_private_directories(const std::filesystem::path& dir) {
  const auto failure = [](const std::filesystem::path& path) {
    return "cannot create folder " + path.string() + ": " + std::strerror(errno);
  };
  std::filesystem::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) return failure(partial);
  }
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) return failure(dir);
  if (!S_ISDIR(info.st_mode)) return dir.string() + " exists and is not a folder";
  return std::nullopt;
}

}  // namespace moltbot
