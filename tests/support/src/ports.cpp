#include "moltbot/test/ports.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace moltbot::test {
namespace {

constexpr int lowest_port = 20000;
constexpr int highest_port = 32767;

// Binds (with SO_REUSEADDR, as the gateway does) and listens; -1 when the port is taken.
int listen_on(int port, const std::string& address) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) throw std::invalid_argument("bad IPv4 " + address);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A block is free when nothing listens on it now, but another test process may have picked it and
// not yet started the gateway that would listen. So a test process claims the ports it hands out:
// a POSIX record lock on the bytes of a shared file at the ports' numbers, held until the process
// exits (the kernel drops it however the process ends). Record locks belong to the process, so
// its own claims never stand in its way; the file is never closed, which would drop them all.
bool claim_ports(int base, int count) {
  static const int claims = ::open("/tmp/moltbot-test-ports.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (claims < 0) return true;  // nowhere to claim: the listen check alone, as it was
  struct flock range{};
  range.l_type = F_WRLCK;
  range.l_whence = SEEK_SET;
  range.l_start = base;
  range.l_len = count;
  return ::fcntl(claims, F_SETLK, &range) == 0;
}

// "0100007F:4E20" (IPv4) or 32 hex digits (IPv6), little-endian words as the kernel prints them.
std::string decode_address(const std::string& hex) {
  char text[INET6_ADDRSTRLEN] = {};
  if (hex.size() == 8) {
    in_addr addr{};
    addr.s_addr = static_cast<in_addr_t>(std::stoul(hex, nullptr, 16));
    ::inet_ntop(AF_INET, &addr, text, sizeof text);
  } else {
    in6_addr addr{};
    for (int word = 0; word < 4; ++word) {
      auto value = static_cast<std::uint32_t>(std::stoul(hex.substr(static_cast<std::size_t>(word) * 8, 8), nullptr, 16));
      std::memcpy(&addr.s6_addr[word * 4], &value, 4);
    }
    ::inet_ntop(AF_INET6, &addr, text, sizeof text);
  }
  return text;
}

}  // namespace

int find_free_port_block(int count) {
  std::mt19937 random(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  std::uniform_int_distribution<int> base_of(lowest_port, highest_port - count + 1);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int base = base_of(random);
    if (!claim_ports(base, count)) continue;
    bool all_free = true;
    for (int port = base; all_free && port < base + count; ++port) {
      int fd = listen_on(port, "127.0.0.1");
      all_free = fd >= 0;
      if (fd >= 0) ::close(fd);
    }
    if (all_free) return base;
  }
  throw std::runtime_error("no block of " + std::to_string(count) + " free ports below 32768");
}

ListeningSocket::ListeningSocket(int port, const std::string& address) : fd_(listen_on(port, address)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "listen on " + address + ":" + std::to_string(port));
}

ListeningSocket::~ListeningSocket() { ::close(fd_); }

std::vector<std::string> listening_addresses(int port) {
  constexpr const char* listen_state = "0A";
  std::vector<std::string> addresses;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      auto colon = local.find(':');
      if (state != listen_state || colon == std::string::npos) continue;
      if (std::stoi(local.substr(colon + 1), nullptr, 16) != port) continue;
      addresses.push_back(decode_address(local.substr(0, colon)));
    }
  }
  return addresses;
}

}  // namespace moltbot::test
