#include "reload.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

#include "moltbot/config/check_manifest.h"
#include "moltbot/config/render.h"
#include "moltbot/control/protocol.h"
#include "rollout_databases.h"

namespace moltbot::daemon {

namespace {

using Verdict = ReloadOutcome::Verdict;

std::string names(const std::vector<std::string>& list) {
  return list.empty() ? "none" : fmt::format("{}", fmt::join(list, ", "));
}

std::string error_count(const config::Diagnostics& diagnostics) {
  auto errors = std::count_if(diagnostics.begin(), diagnostics.end(),
                              [](const config::Diagnostic& d) { return d.severity == config::Severity::error; });
  return fmt::format("{} error{}", errors, errors == 1 ? "" : "s");
}

// Compiler-style, one log line per text line, so each carries its priority in the journal.
void log_diagnostics(const config::Diagnostics& diagnostics, spdlog::level::level_enum level) {
  std::istringstream text(config::render_text(diagnostics));
  for (std::string line; std::getline(text, line);) spdlog::log(level, "{}", line);
}

void log_outcome(const ReloadOutcome& outcome, const std::string& cause) {
  const auto& path = outcome.manifest_path;
  switch (outcome.verdict) {
    case Verdict::applied:
      log_diagnostics(outcome.diagnostics, spdlog::level::warn);
      spdlog::info("reload ({}): {}: added: {}; removed: {}; restarted: {}; unchanged: {}", cause, path,
                   names(outcome.changes.added), names(outcome.changes.removed), names(outcome.changes.changed),
                   names(outcome.changes.unchanged));
      for (const auto& warning : outcome.warnings) spdlog::warn("reload: {}", warning);
      return;
    case Verdict::unreadable:
    case Verdict::invalid:
      log_diagnostics(outcome.diagnostics, spdlog::level::err);
      spdlog::error("reload ({}): {}: nothing was changed", cause, path);
      return;
    case Verdict::refused:
      for (const auto& problem : outcome.problems) spdlog::error("reload: {}", problem);
      spdlog::error("reload ({}): {} cannot be applied: nothing was changed", cause, path);
      return;
    case Verdict::shutting_down:
      spdlog::warn("reload ({}): ignored: the supervisor is shutting down", cause);
      return;
    case Verdict::rolling:
      log_diagnostics(outcome.diagnostics, spdlog::level::warn);
      spdlog::info("reload ({}): {}: rolling: replacing one at a time: {}; then added: {}; removed: {}", cause, path,
                   names(outcome.changes.changed), names(outcome.changes.added), names(outcome.changes.removed));
      return;
    case Verdict::busy:
      spdlog::warn("reload ({}): ignored: a rolling reload is under way", cause);
      return;
  }
}

// The same objects as `check --json` prints.
nlohmann::json diagnostics_json(const config::Diagnostics& diagnostics) {
  return nlohmann::json::parse(config::render_json(diagnostics));
}

}  // namespace

ManifestReloader::ManifestReloader(std::string manifest_path, Environment env, runtime::Fleet& fleet,
                                   config::SupervisorSettings running, config::Manifest applied,
                                   std::string applied_text, GrantsApplier apply_grants)
    : manifest_path_(std::move(manifest_path)),
      env_(std::move(env)),
      fleet_(fleet),
      running_(std::move(running)),
      applied_(std::move(applied)),
      applied_text_(std::move(applied_text)),
      apply_grants_(std::move(apply_grants)) {}

ReloadOutcome ManifestReloader::reload(const std::string& cause, bool rolling, RolloutFinished finished) {
  auto outcome = check_and_apply(rolling, std::move(finished));
  log_outcome(outcome, cause);
  return outcome;
}

ReloadOutcome ManifestReloader::check_and_apply(bool rolling, RolloutFinished finished) {
  ReloadOutcome outcome;
  outcome.manifest_path = manifest_path_;
  if (fleet_.stopping()) {
    outcome.verdict = Verdict::shutting_down;
    return outcome;
  }
  if (fleet_.rolling()) {
    outcome.verdict = Verdict::busy;
    return outcome;
  }
  auto checked = config::check_manifest(manifest_path_, env_);
  if (checked.file_error) {
    outcome.verdict = Verdict::unreadable;
    outcome.diagnostics = {std::move(*checked.file_error)};
    return outcome;
  }
  const bool valid = checked.runnable();
  outcome.diagnostics = std::move(checked.diagnostics);
  if (!valid) {
    outcome.verdict = Verdict::invalid;
    return outcome;
  }
  auto& next = *checked.manifest;
  auto changes = config::diff_profiles(applied_.profiles, next.profiles);
  if ((rolling || next.rollout) && !changes.changed.empty()) {
    outcome.verdict = Verdict::rolling;
    outcome.changes = std::move(changes);
    const auto settings = next.rollout.value_or(config::RolloutSettings{});
    auto databases = std::make_shared<RolloutDatabases>(fleet_.io(), fleet_.reaper(), env_,
                                                        static_cast<std::size_t>(settings.keep_backups));
    fleet_.roll(applied_, next, settings, databases->hooks(),
                [this, next, text = std::move(checked.text), finished = std::move(finished)](
                    const runtime::RolloutReport& report) mutable {
                  if (report.completed) {
                    ReloadOutcome effect;
                    take_effect(std::move(next), std::move(text), effect);
                    for (const auto& warning : effect.warnings) spdlog::warn("reload: {}", warning);
                  }
                  if (finished) finished(report);
                });
    return outcome;
  }
  auto applied = fleet_.reload(next);
  if (auto* problems = std::get_if<std::vector<std::string>>(&applied)) {
    outcome.verdict = Verdict::refused;
    outcome.problems = std::move(*problems);
    return outcome;
  }
  outcome.changes = std::move(std::get<config::ProfileChanges>(applied));
  take_effect(std::move(next), std::move(checked.text), outcome);
  return outcome;
}

void ManifestReloader::take_effect(config::Manifest manifest, std::string text, ReloadOutcome& outcome) {
  applied_text_ = std::move(text);
  const auto& grants = manifest.supervisor.grants;
  if (grants != running_.grants) {
    if (auto problem = apply_grants_(grants))
      outcome.warnings.push_back("control.grants: " + *problem + "; the previous grants stay in effect");
    else
      running_.grants = grants;
  }
  for (const auto& setting : config::changed_settings(running_, manifest.supervisor))
    outcome.warnings.push_back(setting + ": needs a supervisor restart, the running value stays in effect");
  applied_ = std::move(manifest);
}

nlohmann::json reload_reply(const ReloadOutcome& outcome) {
  using control::CommandError;
  const auto& path = outcome.manifest_path;
  const auto applied = [&] {
    return nlohmann::json{{"manifest", path},
                          {"added", outcome.changes.added},
                          {"removed", outcome.changes.removed},
                          {"restarted", outcome.changes.changed},
                          {"unchanged", outcome.changes.unchanged},
                          {"warnings", outcome.warnings},
                          {"diagnostics", diagnostics_json(outcome.diagnostics)}};
  };
  switch (outcome.verdict) {
    case Verdict::applied:
      return applied();
    case Verdict::unreadable:
      throw CommandError("unreadable-manifest",
                         fmt::format("{}: {}: nothing was changed", path, outcome.diagnostics.front().message),
                         {{"diagnostics", diagnostics_json(outcome.diagnostics)}});
    case Verdict::invalid:
      throw CommandError("invalid-manifest",
                         fmt::format("{}: invalid manifest ({}): nothing was changed", path,
                                     error_count(outcome.diagnostics)),
                         {{"diagnostics", diagnostics_json(outcome.diagnostics)}});
    case Verdict::refused:
      throw CommandError("cannot-apply",
                         fmt::format("{} cannot be applied: {}: nothing was changed", path,
                                     fmt::join(outcome.problems, "; ")),
                         {{"problems", outcome.problems}});
    case Verdict::shutting_down:
      throw CommandError("shutting-down", "the supervisor is shutting down: nothing was reloaded");
    case Verdict::rolling: {
      auto data = applied();
      data["rollout"] = "started";
      return data;
    }
    case Verdict::busy:
      throw CommandError("busy", "a rolling reload is under way: wait for it to end (reload --rolling --wait, or "
                                 "events), then reload again");
  }
  throw CommandError("internal", "unknown reload verdict");
}

nlohmann::json rollout_reply(const runtime::RolloutReport& report) {
  if (report.completed) return control::ok_reply({{"rollout", "completed"}, {"replaced", report.replaced}});
  nlohmann::json details{{"profile", report.failed},     {"reason", report.reason},
                         {"last_lines", report.last_lines}, {"replaced", report.replaced},
                         {"rolled_back", report.rolled_back}, {"not_reached", report.not_reached}};
  return control::error_reply("rollout-failed",
                              fmt::format("rollout stopped at profile {}: {}; rolled back: {}; not reached: {}",
                                          report.failed, report.reason, names(report.rolled_back),
                                          names(report.not_reached)),
                              details);
}

}  // namespace moltbot::daemon
