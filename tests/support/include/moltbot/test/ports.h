#pragma once
// Ports for tests on 127.0.0.1, below the kernel's ephemeral range (32768+) so no outgoing
// connection of another program can take them by chance.
#include <string>
#include <vector>

namespace moltbot::test {

// A full gateway footprint: P .. P+110 (gateway, bridge, browser control, relay, canvas, CDP).
inline constexpr int gateway_footprint = 111;

// The first port of `count` consecutive ports that are all free right now, from a random base in
// 20000..32767-count. Throws when none is found after many tries.
int find_free_port_block(int count = gateway_footprint);

// A TCP listener held by the test itself, e.g. to make a port "taken".
class ListeningSocket {
 public:
  explicit ListeningSocket(int port, const std::string& address = "127.0.0.1");
  ~ListeningSocket();
  ListeningSocket(const ListeningSocket&) = delete;
  ListeningSocket& operator=(const ListeningSocket&) = delete;

 private:
  int fd_ = -1;
};

// The local addresses ("127.0.0.1", "0.0.0.0", "::1", "::") that listen on TCP `port`, read from
// /proc/net/tcp and /proc/net/tcp6 (this network namespace, any process).
std::vector<std::string> listening_addresses(int port);

}  // namespace moltbot::test
