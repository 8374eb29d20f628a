// The catch boundary (runtime/guarded.h) and its test facility, MOLTBOT_SUPERVISOR_TEST_THROW.
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "moltbot/runtime/guarded.h"

using namespace moltbot::runtime;
using Catch::Contains;

namespace {

// Runs a guarded handler of `kind` for `profile`; what its containment was told, empty if nothing.
std::string run(Handler kind, const std::string& profile, const std::function<void()>& body = [] {}) {
  std::string contained;
  guarded(kind, profile, body, [&](const std::string& failure) { contained = failure; });
  return contained;
}

}  // namespace

TEST_CASE("guarded: a handler that throws is contained with its context, and nothing escapes") {
  CHECK(run(Handler::probe, "main") == "");
  CHECK(run(Handler::probe, "main", [] { throw std::logic_error("bad state"); }) ==
        "internal error in probe handler of profile main: bad state");
  CHECK(run(Handler::notify, "", [] { throw 42; }) == "internal error in notify handler: unknown exception");
  bool completed = guarded(Handler::timer, [] {});
  CHECK(completed);
  // A containment that throws too is logged; the caller still gets control back.
  CHECK_FALSE(guarded(
      Handler::exit, "main", [] { throw std::runtime_error("first"); },
      [](const std::string&) { throw std::runtime_error("second"); }));
}

TEST_CASE("MOLTBOT_SUPERVISOR_TEST_THROW: the first handler of that kind (and profile) throws, once") {
  REQUIRE_FALSE(configure_test_throw({{"MOLTBOT_SUPERVISOR_TEST_THROW", "probe,alpha"}}));
  CHECK(run(Handler::timer, "alpha") == "");  // another kind
  CHECK(run(Handler::probe, "main") == "");   // another profile
  CHECK(run(Handler::probe, "") == "");       // a probe of no profile
  const std::string expected =
      "internal error in probe handler of profile alpha: test fault (MOLTBOT_SUPERVISOR_TEST_THROW=probe,alpha)";
  CHECK(run(Handler::probe, "alpha") == expected);
  CHECK(run(Handler::probe, "alpha") == "");  // spent

  REQUIRE_FALSE(configure_test_throw({{"MOLTBOT_SUPERVISOR_TEST_THROW", "stream"}}));
  CHECK(run(Handler::stream, "") ==
        "internal error in stream handler: test fault (MOLTBOT_SUPERVISOR_TEST_THROW=stream)");

  REQUIRE_FALSE(configure_test_throw({{"MOLTBOT_SUPERVISOR_TEST_THROW", "exit"}}));  // any profile's
  CHECK_THAT(run(Handler::exit, "beta"), Contains("exit handler of profile beta: test fault"));

  REQUIRE_FALSE(configure_test_throw({}));
  CHECK(run(Handler::exit, "beta") == "");
}

TEST_CASE("MOLTBOT_SUPERVISOR_TEST_THROW: a malformed value is refused with what is wrong") {
  auto problem = [](const std::string& value) {
    return configure_test_throw({{"MOLTBOT_SUPERVISOR_TEST_THROW", value}}).value_or("");
  };
  CHECK(problem("probe") == "");
  CHECK(problem("") == "");
  CHECK_THAT(problem("prob"), Contains("unknown handler kind \"prob\" (one of timer, exit, probe, output, cli, "
                                       "request, session, stream, wait, accept, reload, status-file, notify, signal, "
                                       "reserve, reexec)"));
  CHECK_THAT(problem("reaper"), Contains("unknown handler kind \"reaper\""));  // a backstop, not a fault
  CHECK_THAT(problem("session,main"), Contains("a session handler belongs to no profile"));
  CHECK_THAT(problem("probe,"), Contains("the profile after the comma is empty"));
  REQUIRE_FALSE(configure_test_throw({}));
}
