#include "metrics_endpoint.h"

#include <spdlog/spdlog.h>

namespace moltbot::daemon {

namespace {

const char* outcome_name(ReloadOutcome::Verdict verdict) {
  switch (verdict) {
    case ReloadOutcome::Verdict::applied: return "applied";
    case ReloadOutcome::Verdict::unreadable: return "unreadable";
    case ReloadOutcome::Verdict::invalid: return "invalid";
    case ReloadOutcome::Verdict::refused: return "refused";
    case ReloadOutcome::Verdict::shutting_down: return "shutting_down";
    case ReloadOutcome::Verdict::rolling: return "rolling";
    case ReloadOutcome::Verdict::busy: return "busy";
  }
  return "unknown";
}

}  // namespace

metrics::SupervisorCounters initial_counters() {
  metrics::SupervisorCounters counters;
  for (auto verdict :
       {ReloadOutcome::Verdict::applied, ReloadOutcome::Verdict::unreadable, ReloadOutcome::Verdict::invalid,
        ReloadOutcome::Verdict::refused, ReloadOutcome::Verdict::shutting_down, ReloadOutcome::Verdict::rolling,
        ReloadOutcome::Verdict::busy})
    counters.reloads[outcome_name(verdict)] = 0;
  return counters;
}

void count_reload(metrics::SupervisorCounters& counters, const ReloadOutcome& outcome) {
  ++counters.reloads[outcome_name(outcome.verdict)];
}

std::unique_ptr<metrics::MetricsServer> serve_metrics(boost::asio::io_context& io,
                                                      const config::SupervisorSettings& settings, runtime::Fleet& fleet,
                                                      const metrics::SupervisorCounters& counters) {
  if (!settings.metrics) return nullptr;
  auto opened = metrics::MetricsServer::open(
      io, *settings.metrics, [&fleet, &counters] { return metrics::render_fleet_metrics(fleet, counters); });
  if (auto* problem = std::get_if<std::string>(&opened)) {
    spdlog::error("metrics: {}; the fleet runs without /metrics", *problem);
    return nullptr;
  }
  auto server = std::move(std::get<std::unique_ptr<metrics::MetricsServer>>(opened));
  spdlog::info("metrics: serving GET /metrics on http://{}", server->address());
  return server;
}

}  // namespace moltbot::daemon
