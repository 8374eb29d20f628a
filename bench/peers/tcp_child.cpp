// The child that bench/peers runs under every supervisor: listens on 127.0.0.1:PORT, accepts and
// closes connections, forever. No output, no dependencies, so every supervisor runs exactly the
// same process and only the supervisors differ.
//
// usage: tcp_child PORT
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  int port = argc == 2 ? std::atoi(argv[1]) : 0;
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "usage: tcp_child PORT\n");
    return 2;
  }
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int on = 1;
  // A restarted child must be able to bind while connections of its predecessor are in TIME_WAIT.
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<in_port_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener, 128) != 0) {
    std::perror("tcp_child: bind/listen");
    return 1;
  }
  for (;;) {
    int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection >= 0)
      ::close(connection);
    else if (errno != EINTR && errno != ECONNABORTED)
      return 1;
  }
}
