#include "human_output.h"

#include <fmt/format.h>

#include "moltbot/common/visible_text.h"
#include "moltbot/config/render.h"
#include "profile_cells.h"
#include "table.h"
#include "terminal_size.h"

namespace moltbot::ctl {

using nlohmann::json;

namespace {

const char* state_colour(const std::string& state) {
  if (state == "running") return "\033[32m";
  if (state == "fatal") return "\033[31m";
  if (state == "stopped") return "\033[2m";
  return "\033[33m";  // on its way somewhere: starting, stopping, backoff, unhealthy
}

std::string shown(const std::string& text, bool escape_controls) {
  return escape_controls ? visible_controls(text) : text;
}

std::string text_or_dash(const json& value) {
  if (value.is_null()) return "-";
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string last_exit_text(const json& last_exit) {
  if (last_exit.is_null()) return "-";
  return last_exit.value("reason", "-");
}

void print_status(const json& profiles, std::ostream& out, bool colour) {
  Table table({"NAME", "ROLE", "STATE", "PID", "UPTIME", "RESTARTS", "CPU%", "MEM", "PORT", "HEALTH", "LAST EXIT"});
  for (const auto& profile : profiles) {
    const auto state = profile["state"].get<std::string>();
    table.add({{profile["name"].get<std::string>()},
               {profile["role"].get<std::string>()},
               {state, state_colour(state)},
               {text_or_dash(profile["pid"])},
               {uptime_text(profile["uptime_s"])},
               {restarts_text(profile)},
               {cpu_text(profile)},
               {memory_text(profile)},
               {std::to_string(profile["ports"]["gateway"].get<int>())},
               {profile["health"].get<std::string>()},
               {last_exit_text(profile["last_exit"])}});
  }
  table.print(out, colour, colour ? terminal_columns() : 0);
  // A rolling reload under way: one line under the table.
  std::string replacing, queued, rolling_back;
  for (const auto& profile : profiles) {
    if (!profile.contains("rollout")) continue;
    const auto& mark = profile["rollout"];
    const auto name = profile["name"].get<std::string>();
    const auto phase = mark["phase"].get<std::string>();
    if (phase == "replacing")
      replacing = fmt::format("replacing {} for {:.0f}s of {:.0f}s", name, mark["elapsed_ms"].get<double>() / 1000,
                              mark["deadline_ms"].get<double>() / 1000);
    else {
      auto& list = phase == "queued" ? queued : rolling_back;
      list += (list.empty() ? "" : ", ") + name;
    }
  }
  if (!replacing.empty()) out << "rollout: " << replacing << (queued.empty() ? "" : "; then " + queued) << '\n';
  if (!rolling_back.empty()) out << "rollout failed: rolling back " << rolling_back << '\n';
}

void print_ports(const json& profiles, std::ostream& out, bool colour) {
  Table table({"PROFILE", "ROLE", "PORT", "USE"});
  for (const auto& profile : profiles)
    for (const auto& use : profile["ports"]) {
      const int first = use["first"].get<int>();
      const int last = use["last"].get<int>();
      table.add({{profile["name"].get<std::string>()},
                 {profile["role"].get<std::string>()},
                 {first == last ? std::to_string(first) : fmt::format("{}-{}", first, last)},
                 {use["name"].get<std::string>()}});
    }
  table.print(out, colour);
}

std::string joined(const json& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name.get<std::string>();
  return text;
}

std::string describe_event(const json& event) {
  if (event["kind"] == "state")
    return fmt::format("{} {}: {} -> {}: {}", event["time"].get<std::string>(), event["profile"].get<std::string>(),
                       event["from"].get<std::string>(), event["to"].get<std::string>(),
                       event["message"].get<std::string>());
  if (event["kind"] == "planned-restart")
    return fmt::format("{} {}: planned restart: {}", event["time"].get<std::string>(),
                       event["profile"].get<std::string>(), event["message"].get<std::string>());
  if (event["kind"] == "audit")  // about no profile, or several: the message names them
    return fmt::format("{} audit: {}", event["time"].get<std::string>(), event["message"].get<std::string>());
  if (event["kind"] == "reload" || event["kind"] == "rollout")
    return fmt::format("{} {}: {}", event["time"].get<std::string>(), event["profile"].get<std::string>(),
                       event["message"].get<std::string>());
  return fmt::format("{} {}: readiness: {}", event["time"].get<std::string>(), event["profile"].get<std::string>(),
                     event["message"].get<std::string>());
}

config::SourceLocation location_of(const json& item) {
  return {item.value("file", ""), item.value("line", 0), item.value("column", 0)};
}

config::Severity severity_of(const std::string& name) {
  if (name == "warning") return config::Severity::warning;
  if (name == "note") return config::Severity::note;
  return config::Severity::error;
}

}  // namespace

void print_reply(const std::string& command, const json& data, std::ostream& out, bool colour, bool escape_controls) {
  if (command == "status") return print_status(data, out, colour);
  if (command == "ports") return print_ports(data, out, colour);
  if (command == "start" || command == "stop" || command == "restart") {
    if (data["profiles"].empty())
      out << "no profile to " << command << '\n';
    else
      out << command << ": " << joined(data["profiles"]) << '\n';
    if (!data["skipped"].empty())
      out << "skipped rescue profiles: " << joined(data["skipped"]) << " (use --include-rescue)\n";
    if (data.contains("states"))
      for (const auto& [name, state] : data["states"].items()) out << name << ": " << state.get<std::string>() << '\n';
    return;
  }
  if (command == "logs") {
    for (const auto& line : data["lines"]) out << shown(line.get<std::string>(), escape_controls) << '\n';
    return;
  }
  if (command == "signal") {
    out << fmt::format("sent {} to {} (pid {})\n", data["signal"].get<std::string>(),
                       data["profile"].get<std::string>(), data["pid"].get<long>());
    return;
  }
  if (command == "reset") {
    out << fmt::format("{}: reset, now {}\n", data["profile"].get<std::string>(), data["state"].get<std::string>());
    return;
  }
  if (command == "reload" && data.value("rollout", "") == "completed") {
    out << "rollout completed: replaced " << (data["replaced"].empty() ? std::string("none") : joined(data["replaced"]))
        << '\n';
    return;
  }
  if (command == "reload") {
    const bool rolling = data.value("rollout", "") == "started";
    out << fmt::format("{} {}\n", rolling ? "rolling reload of" : "reloaded", data["manifest"].get<std::string>());
    if (rolling) out << "the changed profiles are replaced one at a time (rescue last); follow with `events`\n";
    for (const char* list : {"added", "removed", "restarted", "unchanged"})
      out << fmt::format("{:>10}: {}\n", list, data[list].empty() ? std::string("none") : joined(data[list]));
    print_diagnostics(data["diagnostics"], out);
    for (const auto& warning : data["warnings"]) out << "warning: " << warning.get<std::string>() << '\n';
    return;
  }
  if (command == "shutdown") {
    out << "the supervisor is stopping every profile and will exit\n";
    return;
  }
  if (command == "version") {
    out << fmt::format("moltbot-supervisord {} (protocol {}, pid {}", data["supervisor"].get<std::string>(),
                       data["protocol"].get<int>(), data["pid"].get<long>());
    if (data.contains("build"))
      out << fmt::format(", build {}, re-executed {} time(s)", data["build"].get<std::string>(), data["reexecs"].get<int>());
    out << ")\n";
    return;
  }
  if (command == "reexec") {
    out << fmt::format("re-executed: moltbot-supervisord {} build {} (was {} build {}), pid {}, {} profiles taken over "
                       "in {:.1f} ms\n",
                       data["supervisor"].get<std::string>(), data["build"].get<std::string>(),
                       data["previous"]["supervisor"].get<std::string>(), data["previous"]["build"].get<std::string>(),
                       data["pid"].get<long>(), data["profiles"].get<long>(), data["took_ms"].get<double>());
    return;
  }
  if (command == "backup") {
    const auto& skipped = data["skipped"];
    out << fmt::format("{}: {} ({} bytes) in {} ms: {} files ({} databases), {} directories, {} bytes of files\n",
                       data["profile"].get<std::string>(), data["archive"].get<std::string>(),
                       data["archive_bytes"].get<long long>(), data["duration_ms"].get<long long>(),
                       data["files"].get<long long>(), data["databases"].get<long long>(),
                       data["directories"].get<long long>(), data["bytes"].get<long long>());
    out << fmt::format("skipped: {} symlinks, {} sockets/FIFOs/devices, {} database sidecars (consolidated in the copies)\n",
                       skipped["symlinks"].get<long long>(), skipped["special"].get<long long>(),
                       skipped["database_sidecars"].get<long long>());
    return;
  }
  if (command == "restore") {
    out << fmt::format("{}: restored {} files ({} databases checked), {} directories; running. The previous state is "
                       "in {}\n",
                       data["profile"].get<std::string>(), data["files"].get<long long>(),
                       data["databases"].get<long long>(), data["directories"].get<long long>(),
                       data["previous_state"].get<std::string>());
    return;
  }
  // events: the stream that follows is the output
}

void print_stream_line(const json& message, std::ostream& out, bool escape_controls) {
  if (message.contains("event")) {
    out << shown(describe_event(message["event"]), escape_controls) << '\n';
  } else if (message.contains("progress")) {
    out << shown(describe_event(message["progress"]), escape_controls) << '\n';
  } else if (message.contains("log")) {
    out << shown(message["log"].get<std::string>(), escape_controls) << '\n';
  }
  out.flush();
}

void print_error(const json& error, std::ostream& out) {
  out << "moltbot-supervisorctl: " << error.value("message", "") << " [" << error.value("code", "") << "]\n";
  // A failed rollout's profile, as its log ended.
  if (error.contains("last_lines") && !error["last_lines"].empty()) {
    out << "last log lines of " << error.value("profile", "") << ":\n";
    for (const auto& line : error["last_lines"]) out << "  " << shown(line.get<std::string>(), true) << '\n';
  }
}

void print_diagnostics(const json& diagnostics, std::ostream& out) {
  config::Diagnostics parsed;
  for (const auto& item : diagnostics) {
    config::Diagnostic diagnostic;
    diagnostic.severity = severity_of(item.value("severity", "error"));
    diagnostic.code = item.value("code", "");
    diagnostic.message = item.value("message", "");
    diagnostic.where = location_of(item);
    for (const auto& note : item.value("related", json::array()))
      diagnostic.related.push_back({note.value("message", ""), location_of(note)});
    parsed.push_back(std::move(diagnostic));
  }
  out << config::render_text(parsed);
}

}  // namespace moltbot::ctl
