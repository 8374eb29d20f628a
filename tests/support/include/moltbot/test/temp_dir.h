#pragma once
// A fresh directory under $TMPDIR (or /tmp) for one test, removed with everything in it when the
// object goes away. The path has symlinks resolved, so it can be compared with resolved paths.
#include <filesystem>
#include <string>
#include <string_view>

namespace moltbot::test {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "moltbot-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path() / relative, creating parent folders.
  std::filesystem::path write(const std::filesystem::path& relative, std::string_view content) const;
  // The same with mode 0600, as a secret (an env_file) must be.
  std::filesystem::path write_private(const std::filesystem::path& relative, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

// The whole file; empty when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace moltbot::test
