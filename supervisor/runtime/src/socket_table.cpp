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
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "moltbot/runtime/kept_socket.h"
#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/shortage.h"

namespace moltbot::runtime {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view listen_state = "0A";

// Sends one socket diagnostics request and passes each socket of the reply to `visit`. A dump's
// reply ends with NLMSG_DONE; an exact lookup's is a single message. Returns 0 or the kernel's
// errno (ENOENT from an exact lookup: no such socket, but also no TCP diagnostics in the kernel).
// The socket is the thread's kept one (kept_socket.h): it is kept only when the reply was read to
// its end, and messages of another request (sequence numbers) are passed over all the same.
template <typename Request, typename Visit>
int ask_socket_diagnostics(Request request, Visit visit) {
  thread_local std::uint32_t last_sequence = 0;
  auto& socket = kept_diagnostics_socket();
  const int fd = socket.get();
  if (fd < 0) return errno;
  const auto failed = [&](int error) {
    socket.drop();
    return error;
  };
  request.header.nlmsg_seq = ++last_sequence;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return failed(errno);
  const bool dump = (request.header.nlmsg_flags & NLM_F_DUMP) != 0;
  alignas(nlmsghdr) char buffer[32 * 1024];
  for (;;) {
    ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    // ENOBUFS: the kernel dropped part of the reply for want of buffer space.
    if (got < 0) return failed(errno);
    if (got == 0) return failed(EPROTO);
    auto length = static_cast<unsigned>(got);
    bool answered = false;
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, length);
         header = NLMSG_NEXT(header, length)) {
      if (header->nlmsg_seq != request.header.nlmsg_seq) continue;
      answered = true;
      if (header->nlmsg_type == NLMSG_DONE) {
        socket.used();
        return 0;
      }
      if (header->nlmsg_type == NLMSG_ERROR) {
        socket.used();
        int error = -static_cast<const nlmsgerr*>(NLMSG_DATA(header))->error;
        return error != 0 ? error : EPROTO;
      }
      visit(*static_cast<const inet_diag_msg*>(NLMSG_DATA(header)));
    }
    if (!dump && answered) {
      socket.used();
      return 0;
    }
  }
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

// 0, or the errno of the failure.
template <typename Request>
int collect_dump(ListenerDump<Request>& message, int first, int last, std::vector<Listener>& out) {
  static_assert(sizeof message == NLMSG_LENGTH(sizeof(Request)) + RTA_SPACE(sizeof message.filter.ops));
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.filter = port_filter(first, last);
  std::vector<Listener> found;
  int error = ask_socket_diagnostics(message, [&](const inet_diag_msg& socket) {
    int port = ntohs(socket.id.idiag_sport);
    if (port >= first && port <= last && socket.idiag_inode != 0) found.push_back({port, socket.idiag_inode});
  });
  if (error != 0) return error;
  out.insert(out.end(), found.begin(), found.end());
  return 0;
}

// IPv4 and IPv6 in one walk of the listening table: inet_diag's older request (TCPDIAG_GETSOCK)
// carries no address family, where SOCK_DIAG_BY_FAMILY walks the whole table once per family.
// The port preflight runs before every spawn, so this is on the respawn path. 0, or the errno of
// the failure (the kernel may not answer it).
int query_listeners_both_families(int first, int last, std::vector<Listener>& out) {
  ListenerDump<inet_diag_req> message{};
  message.header.nlmsg_type = TCPDIAG_GETSOCK;
  message.request.idiag_family = AF_UNSPEC;
  message.request.idiag_states = 1U << TCP_LISTEN;
  return collect_dump(message, first, last, out);
}

// The LISTEN sockets of one address family. 0, or the errno of the failure (sock_diag may be
// unavailable).
int query_listeners(int family, int first, int last, std::vector<Listener>& out) {
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
// answer, or when its "no such socket" may only mean it has no TCP diagnostics; a Shortage when
// the supervisor lacks a socket or memory to ask.
OrShortage<std::optional<SocketInode>> loopback_listener_by_lookup(int port) {
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
  if (error == 0) return std::optional<SocketInode>(inode);
  if (is_shortage(error)) return shortage_of("socket diagnostics", error);
  if (error != ENOENT) return std::optional<SocketInode>();
  // Rare (the probe just reached a listener): a port-filtered dump tells "none" from "no TCP
  // diagnostics", which answers ENOENT too.
  std::vector<Listener> ignored;
  error = query_listeners(AF_INET, port, port, ignored);
  if (error == 0) return std::optional<SocketInode>(0);
  if (is_shortage(error)) return shortage_of("socket diagnostics", error);
  return std::optional<SocketInode>();
}

// 0, or the errno of a table that could not be opened (tcp6 is missing without IPv6).
int collect_listeners(const char* table, int first, int last, std::vector<Listener>& out) {
  std::ifstream in(table);
  if (!in) return errno;
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
  return 0;
}

// Calls `visit` with the inode of every socket that `pid` holds open, until it returns true; says
// whether one did. A process that is gone holds nothing.
template <typename Visit>
OrShortage<bool> any_socket_inode(pid_t pid, Visit visit) {
  std::error_code ec;
  const auto folder = fs::path("/proc") / std::to_string(pid) / "fd";
  fs::directory_iterator fds(folder, ec);
  if (ec && is_shortage(ec.value())) return shortage_of("reading " + folder.string(), ec.value());
  for (const auto& fd : fds) {
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

// One family's listeners: from socket diagnostics, else from the /proc table. 0, or the errno of
// a shortage that kept both from answering.
int family_listeners(int family, const char* table, int first, int last, std::vector<Listener>& out) {
  const int error = query_listeners(family, first, last, out);
  if (error == 0) return 0;
  if (is_shortage(error)) return error;
  const int table_error = collect_listeners(table, first, last, out);
  return is_shortage(table_error) ? table_error : 0;
}

}  // namespace

OrShortage<std::vector<Listener>> listeners_in_range(int first, int last) {
  std::vector<Listener> found;
  int error = query_listeners_both_families(first, last, found);
  if (error == 0) return found;
  if (!is_shortage(error)) error = family_listeners(AF_INET, "/proc/net/tcp", first, last, found);
  if (error == 0) error = family_listeners(AF_INET6, "/proc/net/tcp6", first, last, found);
  if (error != 0) return shortage_of("reading the socket tables", error);
  return found;
}

OrShortage<std::set<SocketInode>> loopback_listeners(int port) {
  std::set<SocketInode> inodes;
  auto lookup = loopback_listener_by_lookup(port);
  if (auto* shortage = std::get_if<Shortage>(&lookup)) return *shortage;
  if (auto inode = std::get<std::optional<SocketInode>>(lookup)) {
    if (*inode != 0) inodes.insert(*inode);
    return inodes;
  }
  std::vector<Listener> found;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"})
    if (int error = collect_listeners(table, port, port, found); is_shortage(error))
      return shortage_of(std::string("reading ") + table, error);
  for (const auto& listener : found) inodes.insert(listener.inode);
  return inodes;
}

OrShortage<std::optional<pid_t>> owner_among(const std::set<SocketInode>& inodes, const std::vector<pid_t>& candidates) {
  for (pid_t pid : candidates) {
    auto holds = any_socket_inode(pid, [&](SocketInode inode) { return inodes.contains(inode); });
    if (auto* shortage = std::get_if<Shortage>(&holds)) return *shortage;
    if (std::get<bool>(holds)) return std::optional<pid_t>(pid);
  }
  return std::optional<pid_t>();
}

OrShortage<std::optional<pid_t>> owner_anywhere(const std::set<SocketInode>& inodes) {
  std::error_code error;
  auto pids = all_pids(error);
  if (error && is_shortage(error.value())) return shortage_of("reading /proc", error.value());
  return owner_among(inodes, pids);
}

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
