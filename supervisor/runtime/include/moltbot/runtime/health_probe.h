#pragma once
// One-shot asynchronous health probes on the event loop, each bounded by its own timeout.
// They answer only "did the endpoint respond as healthy"; who owns the listener is checked
// separately (listener_ownership.h).
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "moltbot/common/account.h"
#include "moltbot/common/environment.h"
#include "moltbot/runtime/shortage.h"

namespace moltbot::runtime {

class Reaper;

struct ProbeResult {
  bool ok = false;
  std::string detail;  // "HTTP 200", "connection refused", "timed out after 2000 ms", ...
  // Set when the supervisor could not probe (out of descriptors, memory): the result is
  // inconclusive, it says nothing about the gateway, neither a failure nor a success.
  std::optional<Shortage> shortage = std::nullopt;
};

using ProbeCallback = std::function<void(ProbeResult)>;
using ProbeTimeout = std::chrono::milliseconds;

// Connects to 127.0.0.1:port.
void probe_tcp(boost::asio::io_context& io, int port, ProbeTimeout timeout, ProbeCallback done);

// GET `path` on 127.0.0.1:port; any 2xx status is healthy.
void probe_http(boost::asio::io_context& io, int port, const std::string& path, ProbeTimeout timeout,
                ProbeCallback done);

// GET `path` on 127.0.0.1:port and read the whole answer: healthy once the gateway says
// {"status":"started"} (or the path is not served: 404); otherwise the detail carries its status
// and pendingReason ("starting: startup-sidecars").
void probe_startup(boost::asio::io_context& io, int port, const std::string& path, ProbeTimeout timeout,
                   ProbeCallback done);
// How an answer of the startup path is read (for tests).
ProbeResult judge_startup(int status, std::string_view body);

// Runs `argv` (own process group, output discarded; as `run_as` when given, like the gateway);
// exit 0 is healthy. The process is killed when the timeout expires.
void probe_exec(boost::asio::io_context& io, Reaper& reaper, const std::vector<std::string>& argv,
                const Environment& env, const std::string& working_dir, ProbeTimeout timeout, ProbeCallback done,
                const Account* run_as = nullptr);

}  // namespace moltbot::runtime
