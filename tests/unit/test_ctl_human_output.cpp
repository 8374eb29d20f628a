// moltbot-supervisorctl's human output of stream lines (`logs -f`, `events`, `--wait` progress):
// gateway output and process names with their control characters made visible for a terminal,
// as they came otherwise.
#include <catch2/catch.hpp>
#include <sstream>

#include "human_output.h"

using moltbot::ctl::print_stream_line;
using nlohmann::json;

namespace {

std::string printed(const json& message, bool escape_controls) {
  std::ostringstream out;
  print_stream_line(message, out, escape_controls);
  return out.str();
}

json state_event(const std::string& message) {
  return {{"time", "2026-01-01T00:00:00Z"}, {"kind", "state"},      {"profile", "main"},
          {"from", "running"},              {"to", "backoff"},      {"message", message}};
}

}  // namespace

TEST_CASE("a followed log line shows its control characters on a terminal") {
  const json line{{"version", 1}, {"log", "ok\r[supervisor] forged\x07\xc2\x9b" "2J"}};
  CHECK(printed(line, true) == "ok\\r[supervisor] forged\\x07\\u009b2J\n");
  CHECK(printed(line, false) == "ok\r[supervisor] forged\x07\xc2\x9b" "2J\n");
}

TEST_CASE("events and progress carry process names from outside") {
  const auto message = "waiting: port 18789 (gateway) held by pid 1234 (ev\x1b]0;t\x07il)";
  CHECK(printed({{"event", state_event(message)}}, true) ==
        "2026-01-01T00:00:00Z main: running -> backoff: waiting: port 18789 (gateway) held by pid 1234 "
        "(ev\\x1b]0;t\\x07il)\n");
  CHECK(printed({{"progress", state_event(message)}}, false).find("(ev\x1b]0;t\x07il)") != std::string::npos);
}

TEST_CASE("an audit event is shown with its message, also when it is about no single profile") {
  const json audit{{"time", "2026-01-01T00:00:00Z"},
                   {"kind", "audit"},
                   {"profile", nullptr},
                   {"from", nullptr},
                   {"to", nullptr},
                   {"message", "uid 1001 (pid 42): \"status\" on \"a\", \"b\""},
                   {"uid", 1001},
                   {"pid", 42},
                   {"command", "status"},
                   {"profiles", {"a", "b"}}};
  CHECK(printed({{"event", audit}}, true) ==
        "2026-01-01T00:00:00Z audit: uid 1001 (pid 42): \"status\" on \"a\", \"b\"\n");
}
