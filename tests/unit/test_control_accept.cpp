// The control server's accepting while the supervisor has no descriptor to spare (has_room): real
// Unix sockets, the real server and session, one io_context run by the test.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>

#include "moltbot/control/control_server.h"
#include "moltbot/test/temp_dir.h"

using namespace moltbot::control;
using namespace std::chrono_literals;

namespace {

class Client {
 public:
  explicit Client(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    // Completes while the server accepts nothing: the connection waits in the listen queue.
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~Client() { close(); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void ask(const std::string& command) {
    const auto line = R"({"version":1,"command":")" + command + "\"}\n";
    REQUIRE(::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size()));
  }
  // What the server has sent so far, without waiting.
  std::string received() {
    char buffer[4096];
    for (ssize_t got; (got = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT)) > 0;)
      received_.append(buffer, static_cast<std::size_t>(got));
    return received_;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
  std::string received_;
};

// Runs the loop until `client` has a whole reply line, for at most `deadline`.
bool answered(boost::asio::io_context& io, Client& client, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (client.received().find('\n') == std::string::npos) {
    if (std::chrono::steady_clock::now() >= end) return false;
    io.run_one_for(10ms);
  }
  return true;
}

struct PausedServer {
  boost::asio::io_context io;
  moltbot::test::TempDir dir{"moltbot-control-accept"};
  CommandRegistry commands;
  int rooms_left;  // has_room says yes this many more times, then no
  std::unique_ptr<ControlServer> server;

  PausedServer(std::chrono::milliseconds accept_retry, int rooms) : rooms_left(rooms) {
    commands.add("ping", [](const Request&, ReplySink&) { return nlohmann::json{{"pong", true}}; });
    ServerOptions options;
    options.socket_path = (dir.path() / "control.sock").string();
    options.accept_retry = accept_retry;
    options.has_room = [this] {
      if (rooms_left == 0) return false;
      --rooms_left;
      return true;
    };
    auto created = ControlServer::create(io, options, commands);
    REQUIRE(std::holds_alternative<std::unique_ptr<ControlServer>>(created));
    server = std::move(std::get<std::unique_ptr<ControlServer>>(created));
  }
  ~PausedServer() { server->stop(); }
};

}  // namespace

TEST_CASE("control: a paused accept resumes as soon as one of its connections closes") {
  // The wait after a failed room check outlasts the test: only a closing connection can resume.
  PausedServer paused(1h, 1);
  const auto path = paused.server->path();
  Client first(path);  // accepted with the one room there was; the next check finds none
  first.ask("ping");
  REQUIRE(answered(paused.io, first, 5s));
  CHECK_THAT(first.received(), Catch::Contains(R"("pong":true)"));

  Client second(path);
  second.ask("ping");
  CHECK_FALSE(answered(paused.io, second, 300ms));  // waits in the listen queue

  paused.rooms_left = 1;
  first.close();  // its session reads the end and closes: the descriptor is free
  REQUIRE(answered(paused.io, second, 5s));
  CHECK_THAT(second.received(), Catch::Contains(R"("pong":true)"));
}

TEST_CASE("control: with no connection to close, a paused accept is tried again after its wait") {
  PausedServer paused(50ms, 0);
  Client client(paused.server->path());
  client.ask("ping");
  CHECK_FALSE(answered(paused.io, client, 300ms));
  paused.rooms_left = 1;
  REQUIRE(answered(paused.io, client, 5s));
  CHECK_THAT(client.received(), Catch::Contains(R"("pong":true)"));
}
