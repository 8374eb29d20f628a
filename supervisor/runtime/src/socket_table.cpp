#include "moltbot/runtime/socket_table.h"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace moltbot::runtime {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view listen_state = "0A";

void collect_listeners(const char* table, int first, int last, std::vector<Listener>& out) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    SocketInode inode = 0;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode;
    if (!fields || state != listen_state) continue;
    auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    int port = 0;
    auto hex = std::string_view(local).substr(colon + 1);
    if (std::from_chars(hex.data(), hex.data() + hex.size(), port, 16).ec != std::errc()) continue;
    if (port >= first && port <= last && inode != 0) out.push_back({port, inode});
  }
}

bool holds_any(pid_t pid, const std::set<SocketInode>& inodes) {
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "fd", ec)) {
    char target[64];
    ssize_t length = ::readlink(fd.path().c_str(), target, sizeof target - 1);
    if (length <= 0) continue;
    std::string_view link(target, static_cast<std::size_t>(length));
    // "socket:[12345]"
    if (!link.starts_with("socket:[") || !link.ends_with(']')) continue;
    SocketInode inode = 0;
    auto digits = link.substr(8, link.size() - 9);
    if (std::from_chars(digits.data(), digits.data() + digits.size(), inode).ec != std::errc()) continue;
    if (inodes.contains(inode)) return true;
  }
  return false;
}

}  // namespace

std::vector<Listener> listeners_in_range(int first, int last) {
  std::vector<Listener> found;
  collect_listeners("/proc/net/tcp", first, last, found);
  collect_listeners("/proc/net/tcp6", first, last, found);
  return found;
}

std::optional<pid_t> owner_among(const std::set<SocketInode>& inodes, const std::vector<pid_t>& candidates) {
  for (pid_t pid : candidates)
    if (holds_any(pid, inodes)) return pid;
  return std::nullopt;
}

std::optional<pid_t> owner_anywhere(const std::set<SocketInode>& inodes) {
  std::error_code ec;
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().native();
    pid_t pid = 0;
    if (std::from_chars(name.data(), name.data() + name.size(), pid).ec == std::errc() && pid > 0)
      pids.push_back(pid);
  }
  return owner_among(inodes, pids);
}

}  // namespace moltbot::runtime
