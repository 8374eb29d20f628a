#include "moltbot/runtime/fd_store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "moltbot/common/stable_hash.h"
#include "moltbot/runtime/notify_socket.h"

namespace moltbot::runtime {

namespace {

constexpr int first_passed_fd = 3;  // SD_LISTEN_FDS_START
constexpr long long max_passed_fds = 1 << 20;  // the kernel's highest descriptor limit (fs.nr_open)
constexpr std::string_view output_prefix = "out-";
// A long profile name keeps this much of itself before '~' and the hash: 4 + 230 + 1 + 16 = 251.
constexpr std::size_t kept_profile_chars = 230;

std::optional<long long> parse_number(const std::string& text) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  for (;;) {
    const auto colon = text.find(':', start);
    names.push_back(text.substr(start, colon - start));
    if (colon == std::string::npos) return names;
    start = colon + 1;
  }
}

}  // namespace

bool is_valid_fd_name(std::string_view name) {
  return !name.empty() && name.size() <= max_fd_name &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= ' ' && c <= '~' && c != ':'; });
}

std::string output_fd_name(std::string_view profile) {
  std::string name = std::string(output_prefix) + std::string(profile);
  if (name.size() <= max_fd_name) return name;
  return fmt::format("{}{}~{:016x}", output_prefix, profile.substr(0, kept_profile_chars), fnv1a_64(profile));
}

std::optional<FdStore> FdStore::from_environment(const Environment& env) {
  auto socket = lookup(env, "NOTIFY_SOCKET");
  if (!socket || socket->empty()) return std::nullopt;
  if (auto max = lookup(env, "FDSTORE"); max && parse_number(*max) == 0) return std::nullopt;
  return FdStore(*socket);
}

int FdStore::store(std::string_view name, std::span<const int> fds) const {
  if (!is_valid_fd_name(name) || fds.empty()) return EINVAL;
  // The store keeps every descriptor sent under a name; removing first keeps one per name.
  if (int error = remove(name); error != 0) return error;
  return send_notification(socket_, fmt::format("FDSTORE=1\nFDNAME={}\nFDPOLL=0", name), fds);
}

int FdStore::remove(std::string_view name) const {
  if (!is_valid_fd_name(name)) return EINVAL;
  return send_notification(socket_, fmt::format("FDSTOREREMOVE=1\nFDNAME={}", name));
}

PassedFds PassedFds::from_environment(const Environment& env) {
  PassedFds passed;
  const auto pid = parse_number(lookup(env, "LISTEN_PID").value_or(""));
  const auto count = parse_number(lookup(env, "LISTEN_FDS").value_or(""));
  const auto names = lookup(env, "LISTEN_FDNAMES");
  for (const char* name : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) ::unsetenv(name);
  if (!pid || *pid != ::getpid() || !count || *count <= 0 || *count > max_passed_fds) return passed;
  const auto descriptors = static_cast<std::size_t>(*count);
  // Without names (or not one per descriptor), every descriptor is "unknown", as systemd calls
  // them: still this process's, to be closed once nobody takes them.
  auto listed = names ? split_names(*names) : std::vector<std::string>{};
  if (listed.size() != descriptors) listed.assign(descriptors, "unknown");
  for (std::size_t i = 0; i < descriptors; ++i) {
    const int fd = first_passed_fd + static_cast<int>(i);
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) continue;  // not open after all
    ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    passed.fds_.emplace(listed[i], fd);
  }
  return passed;
}

PassedFds::~PassedFds() { close_untaken(); }

PassedFds::PassedFds(PassedFds&& other) noexcept : fds_(std::exchange(other.fds_, {})) {}

PassedFds& PassedFds::operator=(PassedFds&& other) noexcept {
  if (this != &other) {
    close_untaken();
    fds_ = std::exchange(other.fds_, {});
  }
  return *this;
}

std::optional<int> PassedFds::take(const std::string& name) {
  auto [first, last] = fds_.equal_range(name);
  if (first == last) return std::nullopt;
  const int fd = first->second;
  for (auto extra = std::next(first); extra != last; ++extra) ::close(extra->second);
  fds_.erase(first, last);
  return fd;
}

std::vector<std::string> PassedFds::close_untaken() {
  std::vector<std::string> names;
  for (const auto& [name, fd] : fds_) {
    ::close(fd);
    if (names.empty() || names.back() != name) names.push_back(name);
  }
  fds_.clear();
  return names;
}

}  // namespace moltbot::runtime
