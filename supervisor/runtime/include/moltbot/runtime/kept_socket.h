#pragma once
// The socket the tcp probes keep open from one probe to the next, one per thread: a connection
// ended with connect(AF_UNSPEC) is reset, as a linger-0 close resets it, and leaves the socket
// ready for the next connect. Opened and closed per probe, it was three of a tcp probe's nine
// system calls, and on this VM each system call costs about what the connect's own work does
// (issue 22, docs/benchmarks.md). Held between probes it is an optional descriptor: kept only if,
// when it was opened, the supervisor had descriptors to spare (keep_sockets_while, the daemon's
// ResourceGuard), otherwise closed after its use as before; and the first descriptor the
// supervisor gives back when it runs short (drop_kept_sockets, a ResourceGuard shedder). (The
// netlink socket of the listener lookups is not kept: kept, even so, the fault matrix's 64-descriptor
// case failed in the ASan build under load, benchmarks.md.)
#include <cstddef>
#include <functional>

namespace moltbot::runtime {

class KeptSocket {
 public:
  KeptSocket() = default;
  ~KeptSocket() { drop(); }
  KeptSocket(const KeptSocket&) = delete;
  KeptSocket& operator=(const KeptSocket&) = delete;

  // The socket (TCP over IPv4, non-blocking), opened when there is none: -1 with errno set when
  // it cannot be.
  int get();
  // After a use that left the socket clean: closes it unless it may be kept.
  void used();
  // The socket (-1 when none is open), no longer kept: the caller owns it now.
  int take();
  // Closes it (after a failure, when its state is not known to be clean). Whether one was open.
  bool drop();

 private:
  int fd_ = -1;
  bool keep_ = false;
};

// This thread's tcp probe socket.
KeptSocket& kept_probe_socket();

// A socket this thread opens from now on is kept only if `room` says so at that moment; without
// it (tests, tools), always.
void keep_sockets_while(std::function<bool()> room);

// Closes this thread's kept socket: the number closed (0 or 1).
std::size_t drop_kept_sockets();

}  // namespace moltbot::runtime
