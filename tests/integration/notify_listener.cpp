#include "notify_listener.h"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
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
#include <utility>

namespace moltbot::test {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

// The kernel's limit of descriptors in one message (SCM_MAX_FD).
constexpr std::size_t max_fds_per_message = 253;

// The same open file, as systemd checks before storing a descriptor (it keeps one of each).
bool same_file(int a, int b) {
  const pid_t self = ::getpid();
  return ::syscall(SYS_kcmp, self, self, KCMP_FILE, a, b) == 0;
}

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
  for (const auto& entry : store_) ::close(entry.second);
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
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * max_fds_per_message)>
        control{};
    iovec data{text.data(), text.size()};
    msghdr header{};
    header.msg_iov = &data;
    header.msg_iovlen = 1;
    header.msg_control = control.data();
    header.msg_controllen = control.size();
    ssize_t size = ::recvmsg(socket_, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (size < 0) continue;
    NotifyMessage message{split_lines(std::string(text.data(), static_cast<std::size_t>(size))), 0,
                          std::chrono::steady_clock::now()};
    std::vector<int> received;
    for (auto* part = CMSG_FIRSTHDR(&header); part; part = CMSG_NXTHDR(&header, part)) {
      if (part->cmsg_level == SOL_SOCKET && part->cmsg_type == SCM_CREDENTIALS) {
        ucred sender{};
        std::memcpy(&sender, CMSG_DATA(part), sizeof(sender));
        message.sender = sender.pid;
      } else if (part->cmsg_level == SOL_SOCKET && part->cmsg_type == SCM_RIGHTS) {
        const auto count = (part->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
          int fd = -1;
          std::memcpy(&fd, CMSG_DATA(part) + i * sizeof(int), sizeof(int));
          received.push_back(fd);
        }
      }
    }
    {
      std::lock_guard lock(mutex_);
      update_store(message, received);
      messages_.push_back(std::move(message));
    }
    arrived_.notify_all();
  }
}

void NotifyListener::update_store(const NotifyMessage& message, std::vector<int>& received) {
  const std::string name = message.value("FDNAME").empty() ? "stored" : message.value("FDNAME");
  if (message.has("FDSTOREREMOVE=1"))
    std::erase_if(store_, [&](const auto& entry) {
      if (entry.first != name) return false;
      ::close(entry.second);
      return true;
    });
  for (int fd : received) {
    const bool duplicate = std::any_of(store_.begin(), store_.end(), [&](const auto& entry) {
      return same_file(entry.second, fd);
    });
    // As systemd: descriptors without FDSTORE=1, and those it holds already, are closed.
    if (message.has("FDSTORE=1") && !duplicate)
      store_.emplace_back(name, fd);
    else
      ::close(fd);
  }
}

std::vector<std::string> NotifyListener::stored_names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& entry : store_) names.push_back(entry.first);
  return names;
}

StoredFds NotifyListener::stored() const {
  std::lock_guard lock(mutex_);
  StoredFds stored;
  for (const auto& [name, fd] : store_) {
    const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (copy < 0) fail("dup of stored descriptor " + name);
    stored.names.push_back(name);
    stored.fds.push_back(copy);
  }
  return stored;
}

StoredFds::~StoredFds() {
  for (int fd : fds) ::close(fd);
}

StoredFds::StoredFds(StoredFds&& other) noexcept
    : names(std::exchange(other.names, {})), fds(std::exchange(other.fds, {})) {}

std::map<std::string, std::string> StoredFds::listen_env() const {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ":") + name;
  return {{"LISTEN_FDS", std::to_string(fds.size())}, {"LISTEN_FDNAMES", joined}};
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
