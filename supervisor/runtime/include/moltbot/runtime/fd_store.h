#pragma once
// systemd's file-descriptor store (sd_notify(3) FDSTORE=1, sd_listen_fds(3)), spoken directly
// like the rest of the notify protocol (notify_socket.h). What the supervisor keeps there, so a
// successor started after a crash gets it back: the control socket's listener and the read end
// of each profile's output pipe. One descriptor per name; the names are below.
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moltbot/common/environment.h"

namespace moltbot::runtime {

// Names systemd accepts (FDNAME=, LISTEN_FDNAMES): 1 to 255 printable ASCII characters, no ':'.
inline constexpr std::size_t max_fd_name = 255;
bool is_valid_fd_name(std::string_view name);

// The control socket's listening descriptor.
inline constexpr std::string_view control_fd_name = "control";
// The read end of a profile's output pipe: "out-PROFILE". Profile names ([A-Za-z0-9_-]) have no
// length limit, so one too long for that keeps its first 230 characters and gets '~' and the
// 16 hex digits of its FNV-1a hash: "~" is in no profile name, so no other profile's name is it.
std::string output_fd_name(std::string_view profile);

class FdStore {
 public:
  // The store of the service manager that NOTIFY_SOCKET in `env` names; nullopt when there is
  // none (not started by a service manager, or FDSTORE=0: systemd 254 and later export
  // FileDescriptorStoreMax= as $FDSTORE; older ones say nothing, and drop the descriptors with a
  // log line of their own when the unit has no store).
  static std::optional<FdStore> from_environment(const Environment& env);
  explicit FdStore(std::string notify_socket) : socket_(std::move(notify_socket)) {}

  // Puts `fds` (duplicates of them: the caller keeps its own) in the store under `name`, in place
  // of whatever that name held. With FDPOLL=0: systemd would otherwise drop a pipe whose writer
  // has exited, and with it the last lines of a gateway that died while no supervisor ran.
  // 0, or an errno value (EINVAL for an invalid name).
  int store(std::string_view name, std::span<const int> fds) const;
  int store(std::string_view name, int fd) const { return store(name, std::span<const int>(&fd, 1)); }

  // Closes and forgets what the store holds under `name` (nothing held is no error).
  int remove(std::string_view name) const;

  const std::string& notify_socket() const { return socket_; }

 private:
  std::string socket_;
};

// The descriptors the service manager passed at start (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES),
// each close-on-exec and owned here until taken; the destructor closes what nobody took.
class PassedFds {
 public:
  // Reads `env`, the environment this process started with, and unsets the three variables in
  // the process environment (as sd_listen_fds(1) does), so no program started later sees them.
  // Nothing when LISTEN_PID is not this process or the variables are malformed: descriptors not
  // surely meant for this process are left alone.
  static PassedFds from_environment(const Environment& env);

  PassedFds() = default;
  ~PassedFds();
  PassedFds(PassedFds&& other) noexcept;
  PassedFds& operator=(PassedFds&& other) noexcept;
  PassedFds(const PassedFds&) = delete;
  PassedFds& operator=(const PassedFds&) = delete;

  // The descriptor passed under `name`, now the caller's to close; nullopt when none (or it was
  // taken already). Should a name come more than once, the first is taken and the rest closed.
  std::optional<int> take(const std::string& name);

  // Closes every descriptor not taken and returns the names they had (a profile no longer in
  // the manifest, say), for the caller to remove from the store.
  std::vector<std::string> close_untaken();

  bool empty() const { return fds_.empty(); }

 private:
  std::multimap<std::string, int> fds_;
};

}  // namespace moltbot::runtime
