#include "moltbot/runtime/socket_table.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
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

// Asks the kernel's socket diagnostics for the LISTEN sockets of one address family on ports
// [first, last]. With only LISTEN requested the kernel walks just its listening table, where
// reading /proc/net/tcp walks every bucket of the established table on each 4 KiB read; the port
// filter (bytecode, as `ss 'sport >= :A and sport <= :B'` sends) keeps the reply to the sockets
// asked about, where a dump of every listener made each probe cost grow with the fleet. False
// when sock_diag is unavailable.
bool query_listeners(int family, int first, int last, std::vector<Listener>& out) {
  int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return false;
  // Each comparison is an op and an operand op holding the port; a failed comparison jumps past
  // the end (`no` = bytes left + 4), which rejects the socket.
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
    rtattr filter_attribute;
    inet_diag_bc_op filter[4];
  } message{};
  constexpr unsigned short op_size = sizeof(inet_diag_bc_op);
  message.filter[0] = {INET_DIAG_BC_S_GE, 2 * op_size, 4 * op_size + 4};
  message.filter[1] = {0, 0, static_cast<unsigned short>(first)};
  message.filter[2] = {INET_DIAG_BC_S_LE, 2 * op_size, 2 * op_size + 4};
  message.filter[3] = {0, 0, static_cast<unsigned short>(last)};
  message.filter_attribute.rta_type = INET_DIAG_REQ_BYTECODE;
  message.filter_attribute.rta_len = RTA_LENGTH(sizeof message.filter);
  static_assert(sizeof message == NLMSG_LENGTH(sizeof(inet_diag_req_v2)) + RTA_SPACE(sizeof message.filter));
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = static_cast<__u8>(family);
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = 1U << TCP_LISTEN;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    ::close(fd);
    return false;
  }
  std::vector<Listener> found;
  alignas(nlmsghdr) char buffer[32 * 1024];
  for (;;) {
    ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    auto length = static_cast<unsigned>(got);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, length);
         header = NLMSG_NEXT(header, length)) {
      if (header->nlmsg_type == NLMSG_DONE) {
        ::close(fd);
        out.insert(out.end(), found.begin(), found.end());
        return true;
      }
      if (header->nlmsg_type == NLMSG_ERROR) {
        ::close(fd);
        return false;
      }
      const auto* socket = static_cast<const inet_diag_msg*>(NLMSG_DATA(header));
      int port = ntohs(socket->id.idiag_sport);
      if (port >= first && port <= last && socket->idiag_inode != 0) found.push_back({port, socket->idiag_inode});
    }
  }
  ::close(fd);
  return false;
}

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

// Calls `visit` with the inode of every socket that `pid` holds open, until it returns true.
template <typename Visit>
bool any_socket_inode(pid_t pid, Visit visit) {
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
    if (visit(inode)) return true;
  }
  return false;
}

bool holds_any(pid_t pid, const std::set<SocketInode>& inodes) {
  return any_socket_inode(pid, [&](SocketInode inode) { return inodes.contains(inode); });
}

std::vector<pid_t> all_pids() {
  std::error_code ec;
  std::vector<pid_t> pids;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().native();
    pid_t pid = 0;
    if (std::from_chars(name.data(), name.data() + name.size(), pid).ec == std::errc() && pid > 0)
      pids.push_back(pid);
  }
  return pids;
}

}  // namespace

std::vector<Listener> listeners_in_range(int first, int last) {
  std::vector<Listener> found;
  if (!query_listeners(AF_INET, first, last, found)) collect_listeners("/proc/net/tcp", first, last, found);
  if (!query_listeners(AF_INET6, first, last, found)) collect_listeners("/proc/net/tcp6", first, last, found);
  return found;
}

std::optional<pid_t> owner_among(const std::set<SocketInode>& inodes, const std::vector<pid_t>& candidates) {
  for (pid_t pid : candidates)
    if (holds_any(pid, inodes)) return pid;
  return std::nullopt;
}

std::optional<pid_t> owner_anywhere(const std::set<SocketInode>& inodes) { return owner_among(inodes, all_pids()); }

std::map<SocketInode, pid_t> owners_anywhere(const std::set<SocketInode>& inodes) {
  std::map<SocketInode, pid_t> owners;
  for (pid_t pid : all_pids()) {
    any_socket_inode(pid, [&](SocketInode inode) {
      if (inodes.contains(inode)) owners.emplace(inode, pid);
      return owners.size() == inodes.size();
    });
    if (owners.size() == inodes.size()) break;
  }
  return owners;
}

}  // namespace moltbot::runtime
