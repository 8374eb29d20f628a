#pragma once
// Who listens on a TCP port: the kernel's socket diagnostics (or /proc/net/tcp{,6} without them)
// map the port to socket inodes, /proc/PID/fd maps inodes to processes. The lookups the fleet
// relies on answer a Shortage when the supervisor lacks the descriptors or memory to read these,
// never an empty answer that would pass for "nobody".
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "moltbot/runtime/proc_info.h"
#include "moltbot/runtime/shortage.h"

namespace moltbot::runtime {

using SocketInode = std::uint64_t;

struct Listener {
  int port = 0;
  SocketInode inode = 0;
};

// Every TCP socket in LISTEN state (IPv4 and IPv6) on a port inside [first, last].
OrShortage<std::vector<Listener>> listeners_in_range(int first, int last);

// The listener a TCP connection to 127.0.0.1:`port` reaches, as the kernel itself picks it (one
// bound to 127.0.0.1, 0.0.0.0 or a dual-stack [::]): a hash lookup, where a dump walks every
// listener on the host. Without socket diagnostics, every listener on the port. Empty: none.
OrShortage<std::set<SocketInode>> loopback_listeners(int port);

// The first of `candidates` holding one of `inodes` open, if any.
OrShortage<std::optional<pid_t>> owner_among(const std::set<SocketInode>& inodes, const std::vector<pid_t>& candidates);

// Any process on the host holding one of `inodes` (a full /proc scan: for rare paths only).
OrShortage<std::optional<pid_t>> owner_anywhere(const std::set<SocketInode>& inodes);

// The process holding each of `inodes`, in one /proc scan; inodes no visible process holds (or
// none the scan could read) are missing from the answer.
std::map<SocketInode, pid_t> owners_anywhere(const std::set<SocketInode>& inodes);

}  // namespace moltbot::runtime
