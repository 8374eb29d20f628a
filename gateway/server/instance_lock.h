#pragma once
// The single-instance lock: flock(2) on `gateway.<hash of config path>.lock` in the state dir,
// held for the process lifetime. The kernel drops it when the process dies however it dies, so a
// crash never leaves a stale lock; the file itself stays (removing it would race with a waiter).
// The holder writes its pid into the file so a contender can name it.
#include <filesystem>
#include <optional>
#include <string>

namespace moltbot::gateway {

class InstanceLock {
 public:
  // Takes ownership of `locked_fd`, an open descriptor that already holds the flock.
  explicit InstanceLock(int locked_fd, std::filesystem::path path);
  InstanceLock(InstanceLock&& other) noexcept;
  InstanceLock& operator=(InstanceLock&&) = delete;
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;
  ~InstanceLock();

  const std::filesystem::path& path() const { return path_; }

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

struct LockAttempt {
  std::optional<InstanceLock> lock;  // set when acquired
  bool held_by_other = false;
  std::optional<int> holder_pid;     // when held_by_other and the holder has written its pid
  std::filesystem::path lock_path;
  std::string error;                 // set when neither acquired nor held_by_other
};

// A stable 16-hex-digit key of the config path, shared by the lock and the state file names.
std::string config_key(const std::filesystem::path& config_path);

// <state dir>/gateway.<config_key>.lock
std::filesystem::path instance_lock_path(const std::filesystem::path& state_dir,
                                         const std::filesystem::path& config_path);

LockAttempt acquire_instance_lock(const std::filesystem::path& state_dir,
                                  const std::filesystem::path& config_path);

}  // namespace moltbot::gateway
