// The port preflight's one walk of the kernel's listening table (listeners_in_range): IPv4 and
// IPv6 listeners of a span come back together, and a holder on IPv6 only is named like one on IPv4.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "answered.h"
#include "moltbot/runtime/port_preflight.h"
#include "moltbot/runtime/socket_table.h"
#include "moltbot/test/ports.h"

using namespace moltbot::runtime;
namespace asio = boost::asio;

TEST_CASE("port preflight: IPv4 and IPv6 listeners of a span in one walk, a holder on IPv6 only named") {
  const int base = moltbot::test::find_free_port_block(4);
  asio::io_context io;
  asio::ip::tcp::acceptor v4(io, {asio::ip::address_v4::loopback(), static_cast<unsigned short>(base)});
  asio::ip::tcp::acceptor v6(io, asio::ip::tcp::v6());
  v6.set_option(asio::ip::v6_only(true));
  v6.bind({asio::ip::address_v6::loopback(), static_cast<unsigned short>(base + 1)});
  v6.listen();
  asio::ip::tcp::acceptor outside(io, {asio::ip::address_v4::loopback(), static_cast<unsigned short>(base + 3)});

  auto both = moltbot::test::answered(listeners_in_range(base, base + 2));
  CHECK(both.size() == 2);
  std::set<int> ports;
  for (const auto& listener : both) ports.insert(listener.port);
  CHECK(ports == std::set<int>{base, base + 1});

  moltbot::config::ProfilePorts profile_ports;
  profile_ports.gateway = base + 2;
  profile_ports.uses.push_back({"gateway", {base + 2, base + 2}, {}, false, {}});
  profile_ports.uses.push_back({"canvas", {base + 1, base + 1}, {}, false, {}});
  auto conflict = moltbot::test::answered(find_port_conflict(profile_ports));
  REQUIRE(conflict);
  CHECK(conflict->port == base + 1);
  CHECK(conflict->holder == ::getpid());
  std::string name;
  std::getline(std::ifstream("/proc/self/comm"), name);
  CHECK(conflict->message ==
        "port " + std::to_string(base + 1) + " (canvas) held by pid " + std::to_string(::getpid()) + " (" + name + ")");

  v6.close();
  CHECK_FALSE(moltbot::test::answered(find_port_conflict(profile_ports)));
  CHECK(moltbot::test::answered(listeners_in_range(base + 1, base + 2)).empty());
}
