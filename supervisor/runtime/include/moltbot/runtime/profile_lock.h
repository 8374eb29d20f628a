#pragma once
// The exclusive claim of one supervisor on one profile: flock on <state_dir>/supervisor.lock,
// with the holder's pid written inside so a second supervisor can name it. The kernel drops the
// lock when the holder dies, even by SIGKILL, so a restarted supervisor always gets it back.
#include <string>
#include <variant>

namespace moltbot::runtime {

class ProfileLock {
 public:
  // The lock, or a one-line message naming the holder.
  static std::variant<ProfileLock, std::string> acquire(const std::string& state_dir);

  ProfileLock(ProfileLock&& other) noexcept;
  ProfileLock& operator=(ProfileLock&& other) noexcept;
  ProfileLock(const ProfileLock&) = delete;
  ProfileLock& operator=(const ProfileLock&) = delete;
  ~ProfileLock();

  static constexpr const char* file_name = "supervisor.lock";

  // The locked descriptor, kept open across a re-exec of the supervisor (the lock goes with it),
  // and the lock taken over from it on the other side.
  int descriptor() const { return fd_; }
  static ProfileLock adopt(int fd) { return ProfileLock(fd); }

 private:
  explicit ProfileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace moltbot::runtime
