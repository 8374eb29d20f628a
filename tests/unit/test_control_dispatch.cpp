// The control protocol without sockets: request parsing, the dispatcher as the one catch
// boundary, and the peer permission rule.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "moltbot/control/command_registry.h"
#include "moltbot/control/peer_check.h"
#include "moltbot/control/peer_grants.h"

using namespace moltbot::control;
using nlohmann::json;

namespace {

struct RecordingSink : ReplySink {
  std::vector<json> sent;
  std::vector<std::string> failures;
  void send(const json& message) override { sent.push_back(message); }
  void send_serialized(std::string line) override { sent.push_back(json::parse(line)); }
  void send_stream(const json& message) override { sent.push_back(message); }
  void keep_until_closed(std::shared_ptr<void>) override {}
  void fail(const std::string& failure) override { failures.push_back(failure); }
};

}  // namespace

TEST_CASE("parse_request accepts the documented shape and names what is wrong otherwise") {
  auto ok = parse_request(R"({"version":1,"command":"status","args":{"profile":"main"}})");
  REQUIRE(std::holds_alternative<Request>(ok));
  CHECK(std::get<Request>(ok).command == "status");
  CHECK(std::get<Request>(ok).args["profile"] == "main");
  CHECK(std::get<Request>(parse_request(R"({"version":1,"command":"ports"})")).args.is_object());

  auto code = [](std::string_view line) {
    auto parsed = parse_request(line);
    return std::holds_alternative<CommandError>(parsed) ? std::get<CommandError>(parsed).code() : "none";
  };
  CHECK(code("{") == "bad-json");
  CHECK(code("42") == "bad-request");
  CHECK(code(R"({"command":"status"})") == "bad-request");
  CHECK(code(R"({"version":3,"command":"status"})") == "unsupported-version");
  CHECK(code(R"({"version":1})") == "bad-request");
  CHECK(code(R"({"version":1,"command":"status","args":[]})") == "bad-request");
  CHECK(code(R"({"version":1,"command":"status","extra":1})") == "bad-request");
  CHECK(code(std::string(max_request_bytes + 1, ' ')) == "request-too-large");
}

TEST_CASE("a duplicate key or a NUL anywhere in a request is refused naming where") {
  auto message = [](std::string_view line) {
    auto parsed = parse_request(line);
    REQUIRE(std::holds_alternative<CommandError>(parsed));
    CHECK(std::get<CommandError>(parsed).code() == "bad-request");
    return std::get<CommandError>(parsed).message();
  };
  // The last one would win: a shutdown read as a harmless version request, or the other way round.
  CHECK(message(R"({"version":1,"command":"shutdown","command":"version"})") ==
        R"(duplicate key "command" in the request)");
  CHECK(message(R"({"version":1,"command":"status","args":{"profile":"a","profile":"b"}})") ==
        R"(duplicate key "profile" in "args")");
  CHECK(message(R"({"version":1,"command":"x","args":{"a":[{"k":1},{"k":1,"k":2}]}})") ==
        R"(duplicate key "k" in "args.a[1]")");
  // Equal keys in different objects are no duplicates.
  CHECK(std::holds_alternative<Request>(
      parse_request(R"({"version":1,"command":"x","args":{"a":{"k":1},"b":{"k":1},"k":[{"k":1}]}})")));

  CHECK(message(R"({"version":1,"command":"status","args":{"profile":"ma\u0000in"}})") ==
        R"(the value of "args.profile" holds a NUL character (\u0000))");
  CHECK(message(R"({"version":1,"command":"exec-environment","args":{"argv":["a","b\u0000"]}})") ==
        R"(the value of "args.argv[1]" holds a NUL character (\u0000))");
  CHECK(message(R"({"version":1,"command":"status","args":{"pro\u0000file":"main"}})") ==
        R"(a key in "args" holds a NUL character (\u0000): "pro\x00file")");
  CHECK(message(R"({"version":1,"command":"sta\u0000tus"})") ==
        R"(the value of "command" holds a NUL character (\u0000))");
  // Not JSON further on: that comes first (found by the fuzz target).
  auto broken = parse_request(R"({"version":1,"command":"x","args":{"k":1,"k":2}}ion"})");
  REQUIRE(std::holds_alternative<CommandError>(broken));
  CHECK(std::get<CommandError>(broken).code() == "bad-json");
  // Other control characters are text a request may carry; messages quote them visibly.
  CHECK(message(R"({"version":1,"command":"status","e\u001bx":1})") == R"(unknown field "e\x1bx" in the request)");
}

// Found with the fuzz targets (docs/fuzzing.md): the accessor compared through json, which
// converts 2^64 - 1 to -1.
TEST_CASE("a number argument beyond long is refused, not wrapped around") {
  auto args = [](std::string_view number) {
    const std::string line = R"({"version":1,"command":"logs","args":{"n":)" + std::string(number) + "}}";
    return std::get<Request>(parse_request(line));
  };
  constexpr long min = std::numeric_limits<long>::min(), max = std::numeric_limits<long>::max();
  CHECK(number_arg_or(args("9223372036854775807"), "n", 0, min, max) == max);
  CHECK(number_arg_or(args("-9223372036854775808"), "n", 0, min, max) == min);
  CHECK_THROWS_AS(number_arg_or(args("9223372036854775808"), "n", 0, min, max), CommandError);
  CHECK_THROWS_AS(number_arg_or(args("18446744073709551615"), "n", 0, min, max), CommandError);
  CHECK_THROWS_AS(number_arg_or(args("18446744073709551615"), "n", 0, -1, 10), CommandError);
}

// Found with the fuzz targets (docs/fuzzing.md): copying the args recursed once per level and
// overflowed the stack.
TEST_CASE("a request nested as deep as 64 KiB allows is parsed and refused like any other") {
  const std::string head = R"({"version":1,"command":"nosuch","args":{"a":)", tail = "}}";
  const std::size_t depth = (max_request_bytes - head.size() - tail.size()) / 2;
  const std::string line = head + std::string(depth, '[') + std::string(depth, ']') + tail;
  REQUIRE(line.size() <= max_request_bytes);
  CommandRegistry commands;
  RecordingSink sink;
  commands.dispatch(line, Peer{}, sink);
  REQUIRE(sink.sent.size() == 1);
  CHECK(sink.sent[0]["error"]["code"] == "unknown-command");
}

TEST_CASE("the dispatcher turns every failure into an error reply carrying the version") {
  CommandRegistry commands;
  commands.add("fine", [](const Request& request, ReplySink&) -> std::optional<json> {
    return json{{"n", number_arg_or(request, "n", 1, 0, 10)}};
  });
  commands.add("broken", [](const Request&, ReplySink&) -> std::optional<json> { throw std::logic_error("bug"); });
  commands.add("refusing", [](const Request&, ReplySink&) -> std::optional<json> {
    throw CommandError("not-running", "no child");
  });
  RecordingSink sink;
  commands.dispatch(R"({"version":1,"command":"fine","args":{"n":3}})", Peer{}, sink);
  commands.dispatch(R"({"version":1,"command":"fine","args":{"n":30}})", Peer{}, sink);
  commands.dispatch(R"({"version":1,"command":"broken"})", Peer{}, sink);
  commands.dispatch(R"({"version":1,"command":"refusing"})", Peer{}, sink);
  commands.dispatch(R"({"version":1,"command":"missing"})", Peer{}, sink);
  REQUIRE(sink.sent.size() == 5);
  for (const auto& reply : sink.sent) CHECK(reply["version"] == 1);
  CHECK(sink.sent[0] == json{{"version", 1}, {"ok", true}, {"data", {{"n", 3}}}});
  CHECK(sink.sent[1]["error"]["code"] == "bad-argument");
  CHECK(sink.sent[2]["error"] == json{{"code", "internal"}, {"message", "bug"}});
  CHECK(sink.sent[3]["error"] == json{{"code", "not-running"}, {"message", "no child"}});
  CHECK(sink.sent[4]["error"]["code"] == "unknown-command");
}

TEST_CASE("a handler learns who sent the request from the server, not from the line") {
  CommandRegistry commands;
  commands.add("whoami", [](const Request& request, ReplySink&) -> std::optional<json> {
    return json{{"uid", request.peer.uid}, {"privileged", request.peer.privileged}};
  });
  RecordingSink sink;
  commands.dispatch(R"({"version":1,"command":"whoami"})", Peer{1000, true, nullptr, 0}, sink);
  // A "peer" in the line is no field of the protocol: refused, never believed.
  const Peer member{2000, false, nullptr, 0};
  commands.dispatch(R"({"version":1,"command":"whoami","peer":{"uid":0,"privileged":true}})", member, sink);
  commands.dispatch(R"({"version":1,"command":"whoami","args":{"privileged":true}})", member, sink);
  REQUIRE(sink.sent.size() == 3);
  CHECK(sink.sent[0]["data"] == json{{"uid", 1000}, {"privileged", true}});
  CHECK(sink.sent[1]["error"]["code"] == "bad-request");
  CHECK(sink.sent[2]["data"] == json{{"uid", 2000}, {"privileged", false}});
  CHECK_FALSE(Peer{}.privileged);
}

TEST_CASE("string_list_arg takes an array of strings and names the argument otherwise") {
  auto request = [](std::string_view args) {
    return std::get<Request>(parse_request(R"({"version":1,"command":"exec-environment","args":)" + std::string(args) +
                                           "}"));
  };
  CHECK(string_list_arg(request(R"({"argv":["a","{port}"]})"), "argv") == std::vector<std::string>{"a", "{port}"});
  CHECK(string_list_arg(request(R"({"argv":[]})"), "argv").empty());
  for (const char* wrong :
       {R"({})", R"({"argv":null})", R"({"argv":"a"})", R"({"argv":["a",1]})", R"({"argv":[["a"]]})"}) {
    INFO(wrong);
    try {
      string_list_arg(request(wrong), "argv");
      FAIL("accepted");
    } catch (const CommandError& error) {
      CHECK(error.code() == "bad-argument");
      CHECK_THAT(error.what(), Catch::Contains("exec-environment: argument \"argv\""));
    }
  }
}

TEST_CASE("a command error's details become fields of the error object") {
  CommandRegistry commands;
  commands.add("reload", [](const Request&, ReplySink&) -> std::optional<json> {
    throw CommandError("invalid-manifest", "2 errors", {{"diagnostics", json::array({1, 2})}});
  });
  RecordingSink sink;
  commands.dispatch(R"({"version":1,"command":"reload"})", Peer{}, sink);
  REQUIRE(sink.sent.size() == 1);
  CHECK(sink.sent[0]["error"] ==
        json{{"code", "invalid-manifest"}, {"message", "2 errors"}, {"diagnostics", json::array({1, 2})}});
}

TEST_CASE("an ok reply written as text is the same reply as the JSON one") {
  const std::string data = R"([{"name":"main"}])";
  const std::string line = std::string(ok_reply_begin) + data + std::string(ok_reply_end);
  CHECK(json::parse(line) == ok_reply(json::parse(data)));
}

TEST_CASE("the socket is for root and the supervisor uid and members of socket_group") {
  const uid_t own = 1000;
  // Only root and the supervisor's uid are privileged: a group member is served, not trusted.
  CHECK(privileged({1, 0, 0, {}}, own));
  CHECK(privileged({1, own, 5, {}}, own));
  CHECK_FALSE(privileged({1, 2000, 77, {}}, own));
  CHECK_FALSE(refusal({1, 0, 0, {}}, own, std::nullopt));
  CHECK_FALSE(refusal({1, own, 5, {}}, own, std::nullopt));
  CHECK(refusal({1, 2000, 2000, {}}, own, std::nullopt));
  CHECK_FALSE(refusal({1, 2000, 77, {}}, own, gid_t{77}));
  // A supplementary group of the peer counts.
  CHECK_FALSE(refusal({1, 2000, 2000, {10, 77}}, own, gid_t{77}));
  auto refused = refusal({1, 2000, 2000, {10, 77}}, own, gid_t{4242424});
  REQUIRE(refused);
  CHECK_THAT(*refused, Catch::Contains("uid 2000") && Catch::Contains("group 4242424"));
}

TEST_CASE("what is done later for one client runs guarded: its failure fails that client, never the caller") {
  RecordingSink sink;
  sink.run_guarded(moltbot::runtime::Handler::stream, [] { throw std::runtime_error("cannot build the line"); });
  CHECK(sink.failures == std::vector<std::string>{"internal error in stream handler: cannot build the line"});
}

TEST_CASE("peer credentials are the kernel's record of the connecting process, groups included") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
  auto peer = peer_credentials(pair[0]);
  ::close(pair[0]);
  ::close(pair[1]);
  REQUIRE(peer);
  CHECK(peer->pid == ::getpid());
  CHECK(peer->uid == ::geteuid());
  CHECK(peer->gid == ::getegid());
  std::vector<gid_t> own(static_cast<std::size_t>(::getgroups(0, nullptr)));
  own.resize(static_cast<std::size_t>(::getgroups(static_cast<int>(own.size()), own.data())));
  std::sort(own.begin(), own.end());
  auto groups = peer->groups;
  std::sort(groups.begin(), groups.end());
  CHECK(groups == own);
}

namespace {

moltbot::config::ControlGrant grant(std::optional<uid_t> uid, std::optional<gid_t> gid, std::string who,
                                    std::vector<std::string> profiles, std::vector<std::string> commands) {
  moltbot::config::ControlGrant made;
  made.who = std::move(who);
  made.uid = uid;
  made.gid = gid;
  made.all_profiles = profiles.empty();
  made.profiles = std::move(profiles);
  made.commands = std::move(commands);
  return made;
}

}  // namespace

TEST_CASE("a peer's grants are those naming its uid, primary group or a supplementary group, merged") {
  const std::vector<moltbot::config::ControlGrant> grants{
      grant(uid_t{2000}, std::nullopt, "user rescue", {"main"}, {"status", "restart"}),
      grant(std::nullopt, gid_t{300}, "group ops", {}, {"events"}),
      grant(uid_t{3000}, std::nullopt, "user other", {"rescue"}, {"stop"})};
  CHECK_FALSE(PeerGrants::of({1, 4000, 4000, {}}, grants));
  auto rescue = PeerGrants::of({42, 2000, 2000, {10, 300}}, grants);
  REQUIRE(rescue);
  CHECK(rescue->who() == "user rescue, group ops");
  CHECK(rescue->allows("restart", "main"));
  CHECK_FALSE(rescue->allows("restart", "rescue"));
  CHECK(rescue->allows("events", "anything"));  // profiles: all
  CHECK_FALSE(rescue->allows("stop", "rescue"));  // another user's grant
  CHECK(rescue->grants_command("status"));
  CHECK_FALSE(rescue->grants_command("shutdown"));
  CHECK(rescue->refusal("restart", "rescue") ==
        "uid 2000 (pid 42) is served only what control.grants give it: no grant gives \"restart\" on profile "
        "\"rescue\"; user rescue gives status, restart on main; group ops gives events on all profiles");
  CHECK_THAT(rescue->refusal("shutdown"),
             Catch::StartsWith("uid 2000 (pid 42) is served only what control.grants give it: \"shutdown\" acts on "
                               "the whole supervisor and is never grantable;"));
  // The primary group counts as well as a supplementary one.
  REQUIRE(PeerGrants::of({1, 5000, 300, {}}, grants));
  CHECK(granted_users(grants) == std::vector<uid_t>{2000, 3000});
  CHECK(granted_groups(grants) == std::vector<gid_t>{300});
}

TEST_CASE("a peer served through grants gets no command its grants do not give") {
  const std::vector<moltbot::config::ControlGrant> grants{
      grant(uid_t{2000}, std::nullopt, "user rescue", {"main"}, {"status"})};
  CommandRegistry commands;
  int ran = 0;
  for (const char* name : {"status", "shutdown", "version"})
    commands.add(name, [&ran](const Request&, ReplySink&) -> std::optional<json> {
      ++ran;
      return json(nullptr);
    });
  Peer grantee{2000, false, PeerGrants::of({42, 2000, 2000, {}}, grants), 42};
  RecordingSink sink;
  commands.dispatch(R"({"version":1,"command":"shutdown"})", grantee, sink);
  commands.dispatch(R"({"version":1,"command":"version"})", grantee, sink);
  commands.dispatch(R"({"version":1,"command":"nosuch"})", grantee, sink);
  commands.dispatch(R"({"version":1,"command":"status"})", grantee, sink);
  REQUIRE(sink.sent.size() == 4);
  CHECK(sink.sent[0]["error"]["code"] == "not-permitted");
  CHECK_THAT(sink.sent[0]["error"]["message"].get<std::string>(), Catch::Contains("never grantable"));
  CHECK(sink.sent[1]["error"]["code"] == "not-permitted");
  CHECK_THAT(sink.sent[1]["error"]["message"].get<std::string>(), Catch::Contains("no grant gives \"version\""));
  CHECK(sink.sent[2]["error"]["code"] == "unknown-command");
  CHECK(sink.sent[3]["ok"] == true);
  CHECK(ran == 1);
}
