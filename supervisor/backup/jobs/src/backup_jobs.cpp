#include "moltbot/backup/backup_jobs.h"

#include <fmt/format.h>

#include <utility>

#include "moltbot/gateway/launch_spec.h"

namespace moltbot::backup {

using nlohmann::json;

namespace {

constexpr const char* preflight_schema = "openclaw.state-schema-preflight.v1";

// The JSON object the output ends with, on one line or several (the preflight prints it indented),
// after whatever else came first: parsed from the start, or from the first line opening an object.
json trailing_object(const std::string& output) {
  for (std::size_t start = 0; start != std::string::npos;) {
    json parsed = json::parse(output.substr(start), nullptr, false);
    if (parsed.is_object()) return parsed;
    start = output.find("\n{", start);
    if (start != std::string::npos) ++start;
  }
  return nullptr;
}

}  // namespace

std::string backup_program() { return (gateway::own_executable_dir() / "moltbot-backup").string(); }

void run_job(boost::asio::io_context& io, runtime::Reaper& reaper, std::vector<std::string> arguments,
             std::function<void(JobOutcome)> done, std::chrono::milliseconds timeout) {
  runtime::SpawnRequest request;
  request.argv.push_back(backup_program());
  request.argv.insert(request.argv.end(), std::make_move_iterator(arguments.begin()),
                      std::make_move_iterator(arguments.end()));
  request.env = {{"PATH", "/usr/bin:/bin"}};
  runtime::run_cli(io, reaper, std::move(request), timeout, [done = std::move(done)](runtime::CliOutcome outcome) {
    json reply = trailing_object(outcome.output);
    if (reply.is_object() && reply.value("ok", false)) return done({std::move(reply), {}});
    if (reply.is_object() && reply.contains("error") && reply["error"].is_string())
      return done({std::nullopt, reply["error"].get<std::string>()});
    done({std::nullopt, fmt::format("moltbot-backup: {}", outcome.describe())});
  });
}

void copy_databases(boost::asio::io_context& io, runtime::Reaper& reaper, const std::string& state_dir,
                    std::size_t keep, std::function<void(std::optional<CopiedDatabases>, const std::string&)> done) {
  run_job(io, reaper, {"copy-databases", "--state", state_dir, "--keep", std::to_string(keep)},
          [done = std::move(done)](JobOutcome outcome) {
            if (!outcome.reply) return done(std::nullopt, outcome.error);
            CopiedDatabases copies{outcome.reply->value("dir", ""), {}};
            for (const auto& file : outcome.reply->value("files", json::array()))
              if (file.is_string()) copies.files.push_back(file.get<std::string>());
            done(std::move(copies), {});
          });
}

void restore_databases(boost::asio::io_context& io, runtime::Reaper& reaper, const std::string& state_dir,
                       const std::string& copies_dir, std::function<void(std::optional<std::string>)> done) {
  run_job(io, reaper, {"restore-databases", "--state", state_dir, "--from", copies_dir},
          [done = std::move(done)](JobOutcome outcome) {
            done(outcome.reply ? std::nullopt : std::optional<std::string>(outcome.error));
          });
}

std::vector<std::string> preflight_arguments(const std::string& copy) { return {"database", "preflight", copy, "--json"}; }

PreflightVerdict preflight_verdict(const runtime::CliOutcome& outcome) {
  const json whole = trailing_object(outcome.output);
  if (!whole.is_object() || whole.value("schema", "") != preflight_schema)
    return {PreflightVerdict::Kind::unsupported, fmt::format("no preflight answer: {}", outcome.describe())};
  const std::string status = whole.value("status", "");
  auto version = [&](const char* key) {
    return whole.contains(key) && whole[key].is_number_integer() ? std::to_string(whole[key].get<long long>()) : "none";
  };
  std::string detail = fmt::format("{} (found {}, target {})", status, version("foundVersion"), version("targetVersion"));
  if (whole.contains("reason") && whole["reason"].is_string()) detail += ": " + whole["reason"].get<std::string>();
  const bool passes = status == "exact" || status == "startup-repairable" || status == "migration-required";
  const bool exited_zero = outcome.exit && outcome.exit->signal == 0 && outcome.exit->code == 0;
  return {passes && exited_zero ? PreflightVerdict::Kind::passes : PreflightVerdict::Kind::refuses, detail};
}

}  // namespace moltbot::backup
