#include "moltbot/runtime/notify_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>

namespace moltbot::runtime {

namespace {

constexpr std::size_t max_fds_per_message = 253;  // SCM_MAX_FD

std::optional<unsigned long long> parse_number(const std::string& text) {
  unsigned long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

int send_notification(const std::string& socket, std::string_view message, std::span<const int> fds) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket.empty() || (socket[0] != '/' && socket[0] != '@')) return EAFNOSUPPORT;
  if (socket.size() >= sizeof address.sun_path) return EINVAL;
  std::memcpy(address.sun_path, socket.data(), socket.size());
  if (socket[0] == '@') address.sun_path[0] = '\0';
  // An abstract name is exactly its bytes; a path is terminated like any other.
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket.size() + (socket[0] == '/'));

  if (fds.size() > max_fds_per_message) return EINVAL;
  iovec data{const_cast<char*>(message.data()), message.size()};
  msghdr header{};
  header.msg_name = &address;
  header.msg_namelen = length;
  header.msg_iov = &data;
  header.msg_iovlen = 1;
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(int) * max_fds_per_message)> control{};
  if (!fds.empty()) {
    const auto size = sizeof(int) * fds.size();
    header.msg_control = control.data();
    header.msg_controllen = CMSG_SPACE(size);
    cmsghdr* rights = CMSG_FIRSTHDR(&header);
    rights->cmsg_level = SOL_SOCKET;
    rights->cmsg_type = SCM_RIGHTS;
    rights->cmsg_len = CMSG_LEN(size);
    std::memcpy(CMSG_DATA(rights), fds.data(), size);
  }

  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  ssize_t sent;
  do {
    sent = ::sendmsg(fd, &header, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  int error = sent < 0 ? errno : 0;
  ::close(fd);
  return error;
}

std::optional<std::chrono::microseconds> watchdog_timeout(const Environment& env) {
  auto usec = parse_number(lookup(env, "WATCHDOG_USEC").value_or(""));
  if (!usec || *usec == 0) return std::nullopt;
  if (auto pid = lookup(env, "WATCHDOG_PID")) {
    auto number = parse_number(*pid);
    if (!number || *number != static_cast<unsigned long long>(::getpid())) return std::nullopt;
  }
  return std::chrono::microseconds(*usec);
}

}  // namespace moltbot::runtime
