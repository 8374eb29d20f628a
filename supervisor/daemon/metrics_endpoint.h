#pragma once
// The daemon's /metrics endpoint (supervisor.metrics, docs/metrics.md): served on its io_context
// when the manifest asks for it, and what the daemon counts about itself for it.
#include <boost/asio/io_context.hpp>
#include <memory>

#include "moltbot/config/manifest.h"
#include "moltbot/metrics/fleet_metrics.h"
#include "moltbot/metrics/metrics_server.h"
#include "moltbot/runtime/fleet.h"
#include "reload.h"

namespace moltbot::daemon {

// Every reload outcome at 0, so each counter exists before its first increment.
metrics::SupervisorCounters initial_counters();
void count_reload(metrics::SupervisorCounters& counters, const ReloadOutcome& outcome);

// The endpoint listening, or nullptr: not asked for, or it cannot listen (said in the log; the
// fleet runs without it). `counters` and `fleet` outlive it.
std::unique_ptr<metrics::MetricsServer> serve_metrics(boost::asio::io_context& io,
                                                      const config::SupervisorSettings& settings, runtime::Fleet& fleet,
                                                      const metrics::SupervisorCounters& counters);

}  // namespace moltbot::daemon
