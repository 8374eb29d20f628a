#pragma once
// Sockets that the probes keep open from one use to the next, one of each kind per thread: the tcp
// probe's socket (a connection ended with connect(AF_UNSPEC) is reset, as a linger-0 close
// resets it, and leaves the socket ready for the next connect) and the netlink socket for socket
// diagnostics. Opened and closed per probe, they were four of a tcp probe's nine system calls,
// and on this VM each system call costs about what the connect's own work does (issue 22,
// docs/benchmarks.md). Held between probes they are optional descriptors: the first the
// supervisor gives back when it runs short (drop_kept_sockets, a ResourceGuard shedder); the next
// use opens them again.
#include <cstddef>

namespace moltbot::runtime {

class KeptSocket {
 public:
  KeptSocket(int domain, int type, int protocol) : domain_(domain), type_(type), protocol_(protocol) {}
  ~KeptSocket() { drop(); }
  KeptSocket(const KeptSocket&) = delete;
  KeptSocket& operator=(const KeptSocket&) = delete;

  // The socket, opened when there is none: -1 with errno set when it cannot be.
  int get();
  // The socket (-1 when none is open), no longer kept: the caller owns it now.
  int take();
  // Closes it (after a failure, when its state is not known to be clean). Whether one was open.
  bool drop();

 private:
  int domain_;
  int type_;
  int protocol_;
  int fd_ = -1;
};

// This thread's kept sockets.
KeptSocket& kept_probe_socket();
KeptSocket& kept_diagnostics_socket();

// Closes this thread's kept sockets: the number closed.
std::size_t drop_kept_sockets();

}  // namespace moltbot::runtime
