#include "moltbot/control/socket_file.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "socket_acl.h"

#include "moltbot/common/directory_trust.h"

namespace moltbot::control {

namespace {

constexpr std::string_view temporary_prefix = ".supervisord.sock.";

// Why `path` cannot be taken over, or std::nullopt when it is free or stale.
std::optional<std::string> occupied(const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return fmt::format("cannot inspect control socket {}: {}", path, std::strerror(errno));
  }
  if (!S_ISSOCK(info.st_mode)) return fmt::format("{} exists and is not a socket: not replacing it", path);
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return fmt::format("cannot create a socket: {}", std::strerror(errno));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  const int result = ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  const int error = errno;
  ::close(probe);
  if (result == 0) return fmt::format("another supervisor is already listening on {}", path);
  if (error == ECONNREFUSED) return std::nullopt;  // nobody listens: left behind by a dead supervisor
  return fmt::format("cannot check control socket {}: {}", path, std::strerror(error));
}

// Missing folders are made 0755, whatever the umask: members of socket_group must reach the socket.
std::optional<std::string> make_socket_folder(const std::filesystem::path& folder) {
  std::filesystem::path partial;
  for (const auto& part : folder) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0755) == 0) {
      if (::chmod(partial.c_str(), 0755) != 0)
        return fmt::format("cannot chmod {}: {}", partial.string(), std::strerror(errno));
    } else if (errno != EEXIST) {
      return fmt::format("cannot create {}: {}", partial.string(), std::strerror(errno));
    }
  }
  return std::nullopt;
}

}  // namespace

std::variant<SocketFile, std::string> SocketFile::listen(Acceptor& acceptor, const std::string& path,
                                                         const SocketAccess& access) {
  if (auto reason = occupied(path)) return *reason;
  auto folder = std::filesystem::path(path).parent_path();
  if (auto failure = make_socket_folder(folder)) return *failure;
  // Another user who may write the folder could rename their own socket over ours.
  auto trust = DirectoryTrust::of_supervisor();
  if (access.group) trust.groups.push_back(*access.group);
  if (auto problem = untrusted_directory(folder.empty() ? "." : folder, trust))
    return "socket dir: " + *problem + "; refusing to listen there";

  const auto temp = (folder / fmt::format("{}{}", temporary_prefix, ::getpid())).string();
  ::unlink(temp.c_str());
  boost::system::error_code error;
  using Protocol = boost::asio::local::stream_protocol;
  acceptor.open(Protocol(), error);
  if (!error) acceptor.bind(Protocol::endpoint(temp), error);
  if (!error) acceptor.listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) {
    ::unlink(temp.c_str());
    return fmt::format("cannot listen on {}: {}", temp, error.message());
  }
  auto fail = [&](const std::string& what) {
    const std::string message = fmt::format("cannot {} {}: {}", what, temp, std::strerror(errno));
    acceptor.close();
    ::unlink(temp.c_str());
    return message;
  };
  if (::chmod(temp.c_str(), 0660) != 0) return fail("set mode 0660 on");
  if (access.group && ::chown(temp.c_str(), static_cast<uid_t>(-1), *access.group) != 0)
    return fail("give its group to");
  if (!access.granted_users.empty() || !access.granted_groups.empty()) {
    if (auto problem = allow_on_socket(temp, access.granted_users, access.granted_groups)) {
      acceptor.close();
      ::unlink(temp.c_str());
      return *problem;
    }
  }
  struct stat info {};
  if (::stat(temp.c_str(), &info) != 0) return fail("inspect");
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("rename into place");
  return SocketFile(path, info.st_ino);
}

std::variant<SocketFile, std::string> SocketFile::adopt(Acceptor& acceptor, int fd, const std::string& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode))
    return fmt::format("control socket {} is gone", path);
  // A descriptor the service manager passed back may be a listener of another path. listen()
  // binds under a temporary name in the same folder and renames it into place, and the kernel
  // keeps the name it was bound to.
  sockaddr_un bound{};
  socklen_t length = sizeof(bound);
  const auto bound_name = [&] {
    return std::filesystem::path(
        std::string(bound.sun_path, ::strnlen(bound.sun_path, length - offsetof(sockaddr_un, sun_path))));
  };
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0 || bound.sun_family != AF_UNIX ||
      length <= offsetof(sockaddr_un, sun_path) || bound_name().parent_path() != std::filesystem::path(path).parent_path() ||
      !bound_name().filename().string().starts_with(temporary_prefix))
    return fmt::format("control socket {}: descriptor {} is not a listener made for it", path, fd);
  boost::system::error_code error;
  acceptor.assign(boost::asio::local::stream_protocol(), fd, error);
  if (error) return fmt::format("control socket {}: cannot take over descriptor {}: {}", path, fd, error.message());
  acceptor.non_blocking(true, error);
  return SocketFile(path, info.st_ino);
}

SocketFile::SocketFile(SocketFile&& other) noexcept
    : path_(std::move(other.path_)), inode_(std::exchange(other.inode_, 0)) {}

SocketFile::~SocketFile() {
  if (inode_ == 0) return;
  // Another supervisor may have replaced a file it found stale: only ours goes.
  struct stat info {};
  if (::lstat(path_.c_str(), &info) == 0 && info.st_ino == inode_) ::unlink(path_.c_str());
}

}  // namespace moltbot::control
