#include <catch2/catch.hpp>

#include "moltbot/common/signal_names.h"
#include "moltbot/common/spelling.h"

using moltbot::closest_spelling;
using moltbot::edit_distance;

TEST_CASE("edit distance counts a swap of neighbours as one edit", "[spelling]") {
  CHECK(edit_distance("port", "port") == 0);
  CHECK(edit_distance("prot", "port") == 1);
  CHECK(edit_distance("prt", "port") == 1);
  CHECK(edit_distance("Port", "port") == 0);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("did-you-mean only for plausible typos", "[spelling]") {
  const std::vector<std::string_view> keys{"port", "role", "profiles", "restart", "state_dir"};
  CHECK(closest_spelling("prot", keys) == "port");
  CHECK(closest_spelling("profils", keys) == "profiles");
  CHECK(closest_spelling("statedir", keys) == "state_dir");
  CHECK(closest_spelling("rol", keys) == "role");
  CHECK_FALSE(closest_spelling("zzz", keys));
  CHECK_FALSE(closest_spelling("healthcheck", keys));
}

TEST_CASE("signals by name, short name or number", "[signal]") {
  CHECK(moltbot::parse_signal("SIGTERM") == 15);
  CHECK(moltbot::parse_signal("TERM") == 15);
  CHECK(moltbot::parse_signal("sigint") == 2);
  CHECK(moltbot::parse_signal("15") == 15);
  CHECK(moltbot::parse_signal("9") == 9);
  CHECK_FALSE(moltbot::parse_signal("0"));
  CHECK_FALSE(moltbot::parse_signal("-15"));
  CHECK_FALSE(moltbot::parse_signal("999"));
  CHECK_FALSE(moltbot::parse_signal("SIGFOO"));
  CHECK_FALSE(moltbot::parse_signal(""));
  CHECK(moltbot::signal_name(15) == "SIGTERM");
  CHECK(moltbot::signal_name(10) == "SIGUSR1");
  CHECK(moltbot::signal_name(40) == "signal 40");
}
