#pragma once
// File systems broken under a running fleet. Root ignores file modes, so "unwritable" and "full"
// need real mounts: a tiny tmpfs that can be filled, and a read-only bind of a folder over itself.
// They are made in a mount namespace of the test process's own, entered before any child starts
// (every process of the test inherits it), so no mount outlives the test, even if it crashes.
#include <filesystem>
#include <optional>
#include <string>

namespace moltbot::test::fault_matrix {

// Why mounts cannot be made here (no CAP_SYS_ADMIN, no mount namespaces), or nothing.
std::optional<std::string> mounts_unavailable();

// Fills the file system `dir` is on with a file `dir`/filler, until a write fails with ENOSPC.
// Throws std::system_error when it cannot be written or fails otherwise.
void fill_up(const std::filesystem::path& dir);

class ScopedMount {
 public:
  enum class Kind {
    tmpfs,      // a new tmpfs of `bytes` on `target`
    read_only,  // `target` bound over itself read-only: writes through its path fail with EROFS,
                // files opened before stay writable (as when a file system is remounted read-only)
  };
  // Throws std::system_error naming the mount when it fails.
  ScopedMount(Kind kind, std::filesystem::path target, std::size_t bytes = 0);
  ~ScopedMount();
  ScopedMount(const ScopedMount&) = delete;
  ScopedMount& operator=(const ScopedMount&) = delete;

  // Unmounts now (the folder below is visible again).
  void remove();

 private:
  std::filesystem::path target_;
  bool mounted_ = false;
};

}  // namespace moltbot::test::fault_matrix
