#pragma once
// What the runtime's tests against real processes share: driving an io_context until something
// happened, and a shell command to spawn.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>

#include "moltbot/runtime/spawner.h"

namespace moltbot::test {

// Runs the io_context until `condition` holds or `limit` passes.
template <typename Condition>
bool run_until(boost::asio::io_context& io, Condition condition,
               std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// `/bin/sh -c SCRIPT` in /, with an environment of PATH and ONLY=this.
inline runtime::SpawnRequest shell(const std::string& script) {
  return {{"/bin/sh", "-c", script}, {{"PATH", "/usr/bin:/bin"}, {"ONLY", "this"}}, "/", -1};
}

}  // namespace moltbot::test
