#include "moltbot/runtime/socket_table.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "moltbot/runtime/proc_info.h"

namespace moltbot::runtime {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view listen_state = "0A";

// Sends one socket diagnostics request and passes each socket of the reply to `visit`. A dump's
// reply ends with NLMSG_DONE; an exact lookup's is a single message. Returns 0 or the kernel's
// errno (ENOENT from an exact lookup: no such socket, but also no TCP diagnostics in the kernel).
template <typename Request, typename Visit>
int ask_socket_diagnostics(const Request& request, Visit visit) {
  int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return errno;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    int error = errno;
    ::close(fd);
    return error;
  }
  const bool dump = (request.header.nlmsg_flags & NLM_F_DUMP) != 0;
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
        return 0;
      }
      if (header->nlmsg_type == NLMSG_ERROR) {
        ::close(fd);
        int error = -static_cast<const nlmsgerr*>(NLMSG_DATA(header))->error;
        return error != 0 ? error : EPROTO;
      }
      visit(*static_cast<const inet_diag_msg*>(NLMSG_DATA(header)));
    }
    if (!dump) {
      ::close(fd);
      return 0;
    }
  }
  ::close(fd);
  return EPROTO;
}

// The kernel keeps only the sockets this filter accepts (bytecode, as `ss 'sport >= :A and sport
// <= :B'` sends), so a reply holds the ports asked about rather than every listener on the host.
// Each comparison is an op and an operand op holding the port; a failed comparison jumps past the
// end (`no` = bytes left + 4), which rejects the socket.
struct PortFilter {
  rtattr attribute;
  inet_diag_bc_op ops[4];
};

PortFilter port_filter(int first, int last) {
  constexpr unsigned short op_size = sizeof(inet_diag_bc_op);
  PortFilter filter{};
  filter.ops[0] = {INET_DIAG_BC_S_GE, 2 * op_size, 4 * op_size + 4};
  filter.ops[1] = {0, 0, static_cast<unsigned short>(first)};
  filter.ops[2] = {INET_DIAG_BC_S_LE, 2 * op_size, 2 * op_size + 4};
  filter.ops[3] = {0, 0, static_cast<unsigned short>(last)};
  filter.attribute.rta_type = INET_DIAG_REQ_BYTECODE;
  filter.attribute.rta_len = RTA_LENGTH(sizeof filter.ops);
  return filter;
}

// A dump of the LISTEN sockets on ports [first, last]. With only LISTEN requested the kernel walks
// just its listening table, where reading /proc/net/tcp walks every bucket of the established
// table on each 4 KiB read.
template <typename Request>
struct ListenerDump {
  nlmsghdr header;
  Request request;
  PortFilter filter;
};

template <typename Request>
bool collect_dump(ListenerDump<Request>& message, int first, int last, std::vector<Listener>& out) {
  static_assert(sizeof message == NLMSG_LENGTH(sizeof(Request)) + RTA_SPACE(sizeof message.filter.ops));
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.filter = port_filter(first, last);
  std::vector<Listener> found;
  int error = ask_socket_diagnostics(message, [&](const inet_diag_msg& socket) {
    int port = ntohs(socket.id.idiag_sport);
    if (port >= first && port <= last && socket.idiag_inode != 0) found.push_back({port, socket.idiag_inode});
  });
  if (error != 0) return false;
  out.insert(out.end(), found.begin(), found.end());
  return true;
}

// IPv4 and IPv6 in one walk of the listening table: inet_diag's older request (TCPDIAG_GETSOCK)
// carries no address family, where SOCK_DIAG_BY_FAMILY walks the whole table once per family.
// The port preflight runs before every spawn, so this is on the respawn path. False when the
// kernel does not answer it.
bool query_listeners_both_families(int first, int last, std::vector<Listener>& out) {
  ListenerDump<inet_diag_req> message{};
  message.header.nlmsg_type = TCPDIAG_GETSOCK;
  message.request.idiag_family = AF_UNSPEC;
  message.request.idiag_states = 1U << TCP_LISTEN;
  return collect_dump(message, first, last, out);
}

// The LISTEN sockets of one address family. False when sock_diag is unavailable.
bool query_listeners(int family, int first, int last, std::vector<Listener>& out) {
  ListenerDump<inet_diag_req_v2> message{};
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.request.sdiag_family = static_cast<__u8>(family);
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = 1U << TCP_LISTEN;
  return collect_dump(message, first, last, out);
}

// The kernel's own choice of socket for a connection to 127.0.0.1:`port` (an exact request: the
// kernel runs the lookup an incoming SYN gets, through the listening hash, and so also finds a
// dual-stack [::] listener but not a v6-only one). 0 when none; nullopt when the kernel cannot
// answer, or when its "no such socket" may only mean it has no TCP diagnostics.
std::optional<SocketInode> loopback_listener_by_lookup(int port) {
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST;
  message.request.sdiag_family = AF_INET;
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = 1U << TCP_LISTEN;
  message.request.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
  message.request.id.idiag_sport = htons(static_cast<std::uint16_t>(port));
  message.request.id.idiag_cookie[0] = message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  SocketInode inode = 0;
  int error = ask_socket_diagnostics(message, [&](const inet_diag_msg& socket) { inode = socket.idiag_inode; });
  if (error == 0) return inode;
  if (error != ENOENT) return std::nullopt;
  // Rare (the probe just reached a listener): a port-filtered dump tells "none" from "no TCP
  // diagnostics", which answers ENOENT too.
  std::vector<Listener> ignored;
  if (query_listeners(AF_INET, port, port, ignored)) return 0;
  return std::nullopt;
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

}  // namespace

std::vector<Listener> listeners_in_range(int first, int last) {
  std::vector<Listener> found;
  if (query_listeners_both_families(first, last, found)) return found;
  if (!query_listeners(AF_INET, first, last, found)) collect_listeners("/proc/net/tcp", first, last, found);
  if (!query_listeners(AF_INET6, first, last, found)) collect_listeners("/proc/net/tcp6", first, last, found);
  return found;
}

std::set<SocketInode> loopback_listeners(int port) {
  std::set<SocketInode> inodes;
  if (auto inode = loopback_listener_by_lookup(port)) {
    if (*inode != 0) inodes.insert(*inode);
    return inodes;
  }
  std::vector<Listener> found;
  collect_listeners("/proc/net/tcp", port, port, found);
  collect_listeners("/proc/net/tcp6", port, port, found);
  for (const auto& listener : found) inodes.insert(listener.inode);
  return inodes;
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
