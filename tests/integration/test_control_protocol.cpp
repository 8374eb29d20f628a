// The control socket under bad and heavy use: malformed, oversized and half-sent requests, many
// clients at once, a stalled stream reader, a peer that may not use it, stale and live sockets.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "control_fixture.h"
#include "moltbot/test/wait_until.h"

using namespace moltbot::test;
using namespace std::chrono_literals;
using nlohmann::json;
using Catch::Contains;

namespace {

std::string error_code_of(const std::optional<json>& reply) {
  if (!reply || !reply->is_object() || reply->value("ok", true)) return "(no error reply)";
  CHECK((*reply)["version"] == 1);
  return (*reply)["error"]["code"].get<std::string>();
}

struct RunningFleet {
  explicit RunningFleet(const Profiles& profiles) : fleet(profiles) {
    fleet.start_supervisor();
    REQUIRE(wait_control_socket(fleet));
  }
  std::unique_ptr<RawConnection> connect() {
    return std::make_unique<RawConnection>(fleet.control_socket().string());
  }
  SupervisorFixture fleet;
};

}  // namespace

TEST_CASE("bad requests get error replies and the connection stays usable") {
  RunningFleet running(Profiles{{"main", main_profile()}});
  auto client = running.connect();
  REQUIRE(client->connected());

  client->send("{not json\n");
  CHECK(error_code_of(client->read_line()) == "bad-json");
  client->send("[1,2]\n");
  CHECK(error_code_of(client->read_line()) == "bad-request");
  client->send("{\"version\":2,\"command\":\"status\"}\n");
  CHECK(error_code_of(client->read_line()) == "unsupported-version");
  client->send(request_line("frobnicate"));
  auto unknown = client->read_line();
  CHECK(error_code_of(unknown) == "unknown-command");
  CHECK_THAT((*unknown)["error"]["message"].get<std::string>(), Contains("frobnicate"));
  client->send(request_line("logs", {{"profile", "main"}, {"lines", "many"}}));
  CHECK(error_code_of(client->read_line()) == "bad-argument");
  client->send(request_line("start", json::object()));
  CHECK(error_code_of(client->read_line()) == "bad-argument");

  client->send(request_line("status"));
  auto status = client->read_line();
  REQUIRE(status);
  CHECK((*status)["ok"] == true);
  CHECK((*status)["data"][0]["name"] == "main");
}

TEST_CASE("a duplicate key or a NUL is refused naming the key and names in replies are quoted whole") {
  RunningFleet running(Profiles{{"main", main_profile()}});
  auto client = running.connect();
  REQUIRE(client->connected());

  // Read as `version` by a last-wins parser, as `shutdown` by a first-wins one: neither.
  client->send(R"({"version":1,"command":"shutdown","command":"version"})" "\n");
  auto duplicate = client->read_line();
  CHECK(error_code_of(duplicate) == "bad-request");
  CHECK((*duplicate)["error"]["message"] == R"(duplicate key "command" in the request)");
  client->send(R"({"version":1,"command":"stop","args":{"target":"main","target":"all"}})" "\n");
  auto nested = client->read_line();
  CHECK(error_code_of(nested) == "bad-request");
  CHECK((*nested)["error"]["message"] == R"(duplicate key "target" in "args")");

  client->send(R"({"version":1,"command":"status","args":{"profile":"main\u0000../../etc"}})" "\n");
  auto nul = client->read_line();
  CHECK(error_code_of(nul) == "bad-request");
  CHECK((*nul)["error"]["message"] == R"(the value of "args.profile" holds a NUL character (\u0000))");

  // A control character reaches the lookup and comes back visible, the message whole after it.
  client->send(R"({"version":1,"command":"status","args":{"profile":"x\u001b]0;owned\u0007y"}})" "\n");
  auto unknown = client->read_line();
  CHECK(error_code_of(unknown) == "no-such-profile");
  CHECK((*unknown)["error"]["message"] == R"(no profile "x\x1b]0;owned\x07y" in this fleet)");
  client->send(R"({"version":1,"command":"signal","args":{"profile":"main","signal":"\r[supervisor] ok"}})" "\n");
  auto signal = client->read_line();
  CHECK(error_code_of(signal) == "bad-argument");
  CHECK((*signal)["error"]["message"] == R"(signal: "\r[supervisor] ok" is not a signal name or number)");

  // Nothing was stopped or shut down; the connection still serves.
  client->send(request_line("status"));
  auto status = client->read_line();
  REQUIRE(status);
  CHECK((*status)["ok"] == true);
  CHECK((*status)["data"][0]["state"] != "stopped");
  CHECK(running.fleet.supervisor().running());
}

TEST_CASE("an oversized request line is refused with a reply and the connection closes") {
  RunningFleet running(Profiles{{"main", main_profile()}});
  auto client = running.connect();
  client->send("{\"version\":1,\"command\":\"status\",\"args\":{\"pad\":\"" + std::string(70 * 1024, 'x'));
  CHECK(error_code_of(client->read_line()) == "request-too-large");
  CHECK(client->closed_by_server());
  // A request of just under the limit is still read (and refused for its unknown field only).
  auto big = running.connect();
  big->send("{\"version\":1,\"command\":\"status\",\"pad\":\"" + std::string(60 * 1024, 'x') + "\"}\n");
  CHECK(error_code_of(big->read_line()) == "bad-request");
}

TEST_CASE("a half-sent request gets a reply and one abandoned mid-line harms nobody") {
  RunningFleet running(Profiles{{"main", main_profile()}});
  auto half = running.connect();
  half->send("{\"version\":1,\"comm");
  half->shutdown_write();
  CHECK(error_code_of(half->read_line()) == "incomplete-request");
  CHECK(half->closed_by_server());

  {
    auto abandoned = running.connect();
    abandoned->send("{\"version\":1,\"command\":\"sta");
  }  // closed without a newline
  auto next = running.connect();
  next->send(request_line("status"));
  auto reply = next->read_line();
  REQUIRE(reply);
  CHECK((*reply)["ok"] == true);
}

TEST_CASE("256 clients at once all get their replies") {
  RunningFleet running(Profiles{{"main", main_profile()}});
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 256; ++i) {
    clients.push_back(running.connect());
    REQUIRE(clients.back()->connected());
  }
  for (auto& client : clients) client->send(request_line("status", {{"profile", "main"}}));
  int answered = 0;
  for (auto& client : clients) {
    auto reply = client->read_line();
    if (reply && (*reply)["ok"] == true && (*reply)["data"][0]["name"] == "main") ++answered;
  }
  CHECK(answered == 256);
}

TEST_CASE("a stalled logs -f reader never holds up others and is dropped with slow-reader") {
  // A profile that writes 200000 lines at once, far more than socket buffers and the stream
  // backlog hold.
  RunningFleet running(Profiles{
      {"chatty", main_profile({}, {{"command", "[/bin/sh, -c, \"seq 1 200000; exec sleep 600\"]"},
                                   {"health", "{type: none}"}})}});
  auto stalled = std::make_unique<RawConnection>(running.fleet.control_socket().string());
  const int small = 4096;
  ::setsockopt(stalled->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  REQUIRE(running.fleet.wait_state("chatty", "running"));
  stalled->send(request_line("logs", {{"profile", "chatty"}, {"lines", 0}, {"follow", true}}));
  auto first = stalled->read_line();
  REQUIRE(first);
  CHECK((*first)["ok"] == true);

  // Lines now pile up for the stalled reader while it reads nothing.
  REQUIRE(running.fleet.supervisor().running());
  auto restart = running.connect();
  restart->send(request_line("restart", {{"target", "chatty"}}));
  REQUIRE(restart->read_line());
  for (int i = 0; i < 20; ++i) {
    auto other = running.connect();
    other->send(request_line("status"));
    auto reply = other->read_line(2s);
    REQUIRE(reply);
    CHECK((*reply)["ok"] == true);
  }
  // Once the reader reads again, it gets what was sent before it fell behind, then why it was
  // dropped, and the connection ends.
  std::optional<json> told;
  int log_lines = 0;
  while (auto line = stalled->read_line(5s)) {
    if (line->contains("error")) {
      told = line;
      break;
    }
    if (line->contains("log")) ++log_lines;
  }
  REQUIRE(told);
  CHECK((*told)["ok"] == false);
  CHECK((*told)["error"]["code"] == "slow-reader");
  CHECK_THAT((*told)["error"]["message"].get<std::string>(), Catch::Contains("at most 262144 may wait"));
  CHECK(log_lines > 0);
  CHECK(stalled->closed_by_server());
}

TEST_CASE("a peer that is neither root nor the supervisor uid nor in socket_group is refused") {
  if (::geteuid() != 0) {
    WARN("skipped: needs root to connect as a second user");
    return;
  }
  const passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody);
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  RunningFleet running(Profiles{{"main", main_profile()}});
  // Open the file system's door so that only SO_PEERCRED stands in the way.
  const auto socket_path = running.fleet.control_socket();
  ::chmod(running.fleet.dir.path().c_str(), 0755);
  ::chmod(socket_path.c_str(), 0666);

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(10);
    RawConnection connection(socket_path.string());
    if (!connection.connected()) ::_exit(11);
    connection.send(request_line("status"));
    auto reply = connection.read_line();
    if (!reply || !reply->is_object() || (*reply)["ok"] != false) ::_exit(12);
    if ((*reply)["error"]["code"] != "permission-denied") ::_exit(13);
    ::_exit(connection.closed_by_server() ? 0 : 14);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(wait_until([&] { return running.fleet.supervisor().err().find("refused a connection") != std::string::npos; },
                   5s));
  CHECK_THAT(running.fleet.supervisor().err(), Contains("uid " + std::to_string(uid)));
  // root still gets in
  auto root = running.connect();
  root->send(request_line("version"));
  auto reply = root->read_line();
  REQUIRE(reply);
  CHECK((*reply)["ok"] == true);
}

TEST_CASE("a stale socket file is replaced and a live one makes a second supervisor refuse") {
  SupervisorFixture fleet(Profiles{{"main", main_profile()}});
  // What a supervisor killed by SIGKILL leaves behind: a socket file nobody listens on.
  {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, fleet.control_socket().c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    ::close(fd);
  }
  fleet.start_supervisor();
  REQUIRE(wait_control_socket(fleet));
  struct stat info {};
  REQUIRE(::stat(fleet.control_socket().c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0660);
  CHECK(supervisorctl(fleet, {"status"}).exit_code == 0);

  // Another fleet (other profiles, so no lock is shared) pointed at the same socket.
  SupervisorFixture other(Profiles{{"other", main_profile()}});
  std::ifstream in(other.manifest);
  std::stringstream text;
  text << in.rdbuf();
  auto yaml = text.str();
  yaml.replace(yaml.find("./control.sock"), std::string("./control.sock").size(), fleet.control_socket().string());
  other.dir.write("fleet.yaml", yaml);
  auto& second = other.start_supervisor();
  auto exit = second.wait_for_exit(10s);
  REQUIRE(exit);
  CHECK(exit->code == 4);
  CHECK_THAT(second.err(), Contains("another supervisor is already listening on " + fleet.control_socket().string()));
  // The first one keeps its socket.
  CHECK(supervisorctl(fleet, {"version"}).exit_code == 0);
}
