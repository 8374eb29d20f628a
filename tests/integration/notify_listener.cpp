#include "notify_listener.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <sstream>
#include <system_error>

namespace moltbot::test {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace

bool NotifyMessage::has(const std::string& line) const {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

std::string NotifyMessage::value(const std::string& name) const {
  for (const auto& line : lines)
    if (line.starts_with(name + "=")) return line.substr(name.size() + 1);
  return {};
}

NotifyListener::NotifyListener(std::filesystem::path path) : path_(std::move(path)) {
  socket_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (socket_ < 0) fail("socket");
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string name = path_.string();
  if (name.size() >= sizeof(address.sun_path)) throw std::invalid_argument("socket path too long: " + name);
  std::memcpy(address.sun_path, name.data(), name.size());
  // "@name" is in the abstract namespace: exactly its bytes after a leading NUL, no file.
  socklen_t length = sizeof(address);
  if (name.starts_with('@')) {
    address.sun_path[0] = '\0';
    length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  }
  if (::bind(socket_, reinterpret_cast<sockaddr*>(&address), length) != 0) fail("bind " + name);
  int on = 1;
  if (::setsockopt(socket_, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) fail("SO_PASSCRED");
  stop_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_ < 0) fail("eventfd");
  reader_ = std::thread([this] { read_loop(); });
}

NotifyListener::~NotifyListener() {
  std::uint64_t one = 1;
  if (::write(stop_, &one, sizeof(one)) != sizeof(one)) std::terminate();  // the reader would never end
  reader_.join();
  ::close(stop_);
  ::close(socket_);
}

void NotifyListener::read_loop() {
  std::array<pollfd, 2> watched{{{socket_, POLLIN, 0}, {stop_, POLLIN, 0}}};
  for (;;) {
    if (::poll(watched.data(), watched.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (watched[1].revents != 0) return;
    std::array<char, 4096> text{};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(ucred))> control{};
    iovec data{text.data(), text.size()};
    msghdr header{};
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    header.msg_control = control.data();
    header.msg_controllen = control.size();
    ssize_t size = ::recvmsg(socket_, &header, MSG_DONTWAIT);
    if (size < 0) continue;
    NotifyMessage message{split_lines(std::string(text.data(), static_cast<std::size_t>(size))), 0,
                          std::chrono::steady_clock::now()};
    for (auto* part = CMSG_FIRSTHDR(&header); part; part = CMSG_NXTHDR(&header, part))
      if (part->cmsg_level == SOL_SOCKET && part->cmsg_type == SCM_CREDENTIALS) {
        ucred sender{};
        std::memcpy(&sender, CMSG_DATA(part), sizeof(sender));
        message.sender = sender.pid;
      }
    {
      std::lock_guard lock(mutex_);
      messages_.push_back(std::move(message));
    }
    arrived_.notify_all();
  }
}

std::vector<NotifyMessage> NotifyListener::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

bool NotifyListener::wait_for(const std::function<bool(const std::vector<NotifyMessage>&)>& condition,
                              std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return condition(messages_); });
}

std::vector<NotifyMessage> with_line(const std::vector<NotifyMessage>& messages, const std::string& line) {
  std::vector<NotifyMessage> found;
  for (const auto& message : messages)
    if (message.has(line)) found.push_back(message);
  return found;
}

}  // namespace moltbot::test
