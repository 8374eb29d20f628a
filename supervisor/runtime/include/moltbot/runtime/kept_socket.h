#pragma once
// Sockets the supervisor keeps open from one use to the next, one of each per thread, because on
// this VM each system call costs about what the work it asks for does (issue 22,
// docs/benchmarks.md):
// - the tcp probes' socket: a connection ended with connect(AF_UNSPEC) is reset, as a linger-0
//   close resets it, and leaves the socket ready for the next connect. Opened and closed per
//   probe, it was three of a tcp probe's nine system calls. Held between probes it is an optional
//   descriptor: kept only if, when it was opened, the supervisor had descriptors to spare
//   (keep_sockets_while, the daemon's ResourceGuard), otherwise closed after its use as before.
// - the listener lookups' netlink socket: kept only until the end of the loop's turn
//   (close_at_end_of_turn), so the lookups of the probes due together share it and no descriptor
//   is held between turns. (Held for good, it failed the fault matrix's 64-descriptor case in the
//   ASan build under load, benchmarks.md.)
// Both are the first descriptors the supervisor gives back when it runs short (drop_kept_sockets,
// a ResourceGuard shedder).
#include <cstddef>
#include <functional>

namespace moltbot::runtime {

class KeptSocket {
 public:
  enum class Kind { tcp_probe, socket_diagnostics };
  explicit KeptSocket(Kind kind) : kind_(kind) {}
  ~KeptSocket() { drop(); }
  KeptSocket(const KeptSocket&) = delete;
  KeptSocket& operator=(const KeptSocket&) = delete;

  // The socket (non-blocking TCP over IPv4, or a NETLINK_SOCK_DIAG datagram socket), opened when
  // there is none: -1 with errno set when it cannot be.
  int get();
  // After a use that left the socket clean: closes it unless it may be kept.
  void used();
  // The socket (-1 when none is open), no longer kept: the caller owns it now.
  int take();
  // Closes it (after a failure, when its state is not known to be clean). Whether one was open.
  bool drop();

 private:
  Kind kind_;
  int fd_ = -1;
  bool keep_ = false;
};

// This thread's tcp probe socket.
KeptSocket& kept_probe_socket();
// This thread's socket for socket diagnostics requests.
KeptSocket& kept_diagnostics_socket();

// A tcp probe socket this thread opens from now on is kept only if `room` says so at that moment;
// without it (tests, tools), always.
void keep_sockets_while(std::function<bool()> room);

// A diagnostics socket this thread opens from now on is kept until `defer` runs the closing it is
// handed (the daemon posts it to its loop: it runs after the handlers already queued); without it
// (tests, tools), closed after each use.
void close_at_end_of_turn(std::function<void(std::function<void()>)> defer);

// Closes this thread's kept sockets: the number closed (0 to 2).
std::size_t drop_kept_sockets();

}  // namespace moltbot::runtime
