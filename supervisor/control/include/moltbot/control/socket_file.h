#pragma once
// The control socket's file: a stale one (its supervisor is dead) is replaced, a live one means
// another supervisor runs. The new socket is bound under a temporary name in the same folder,
// given its mode and group, and renamed over the final path, so a client never sees a socket
// with the wrong permissions. The file is removed at the end if it is still ours.
#include <sys/types.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace moltbot::control {

// Who may connect() as far as the file system is concerned: the owner (the supervisor's uid), the
// file's group (`group`, else the supervisor's), and the users and groups of control.grants
// (through an ACL, only when there are any). The peer check comes on top.
struct SocketAccess {
  std::optional<gid_t> group;
  std::vector<uid_t> granted_users;
  std::vector<gid_t> granted_groups;
};

class SocketFile {
 public:
  using Acceptor = boost::asio::local::stream_protocol::acceptor;

  // The listening acceptor, or a message saying why the socket cannot be had.
  static std::variant<SocketFile, std::string> listen(Acceptor& acceptor, const std::string& path,
                                                      const SocketAccess& access);
  // The socket a re-exec of the supervisor kept listening on descriptor `fd`, bound at `path`.
  static std::variant<SocketFile, std::string> adopt(Acceptor& acceptor, int fd, const std::string& path);
  SocketFile(SocketFile&& other) noexcept;
  SocketFile& operator=(SocketFile&&) = delete;
  SocketFile(const SocketFile&) = delete;
  ~SocketFile();

  const std::string& path() const { return path_; }

 private:
  SocketFile(std::string path, ino_t inode) : path_(std::move(path)), inode_(inode) {}

  std::string path_;
  ino_t inode_ = 0;  // 0 once moved from
};

}  // namespace moltbot::control
