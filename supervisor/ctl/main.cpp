// moltbot-supervisorctl: parse argv, send one request to the supervisor's control socket, print
// the reply (or, for exec, become the command). Exit statuses: exit_status.h.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "control_client.h"
#include "exec_command.h"
#include "exit_status.h"
#include "human_output.h"
#include "moltbot/common/duration.h"
#include "moltbot/common/environment.h"
#include "moltbot/common/text_file.h"
#include "moltbot/common/utc_stamp.h"
#include "moltbot/config/supervisor_defaults.h"
#include "socket_trust.h"
#include "top_command.h"

namespace {

using nlohmann::json;
using namespace moltbot::ctl;

struct Invocation {
  std::string socket;
  bool json_output = false;
  bool raw_output = false;
  std::string command;
  json args = json::object();
};

bool is_running(const json& profile) { return profile["state"] == "running" || profile["state"] == "unhealthy"; }

// Sends the request; prints the reply and any stream lines that follow it.
int talk(const Invocation& invocation) {
  ControlClient client(invocation.socket);
  client.send({{"version", 1}, {"command", invocation.command}, {"args", invocation.args}});
  const bool colour = ::isatty(STDOUT_FILENO) == 1;
  const bool escape_controls = colour && !invocation.raw_output;
  bool replied = false;
  int status = exit_ok;
  while (auto message = client.next()) {
    if (!message->contains("ok")) {
      if (invocation.json_output)
        std::cout << message->dump() << std::endl;
      else
        print_stream_line(*message, std::cout, escape_controls);
      continue;
    }
    // One reply per request, but a stream the supervisor had to end (`slow-reader` when its reader
    // fell too far behind, `internal`) ends with an error reply after its lines.
    if (replied && (*message)["ok"].get<bool>()) continue;
    replied = true;
    if (!(*message)["ok"].get<bool>()) {
      const auto& error = (*message)["error"];
      print_error(error, std::cerr);
      if (error.contains("diagnostics")) {
        if (invocation.json_output)
          std::cout << error["diagnostics"].dump(2) << std::endl;
        else
          print_diagnostics(error["diagnostics"], std::cerr);
      }
      status = error.value("code", "") == "not-running" ? exit_not_running : exit_error;
      break;
    }
    const auto& data = (*message)["data"];
    const bool streams = invocation.command == "events" || invocation.args.value("follow", false);
    if (invocation.json_output)
      std::cout << data.dump(streams || invocation.args.value("wait", false) ? -1 : 2)
                << std::endl;  // after stream or progress lines, the output stays JSON lines
    else
      print_reply(invocation.command, data, std::cout, colour, escape_controls);
    std::cout.flush();  // a stream's reader sees the reply before the first stream line
    if (invocation.command == "status" && invocation.args.contains("profile") && !is_running(data.at(0)))
      status = exit_not_running;
    if (!streams) break;
  }
  if (!replied) {
    std::cerr << "moltbot-supervisorctl: the supervisor closed the connection without a reply\n";
    return exit_error;
  }
  return status;
}

// The supervisor resolves nothing against its own working directory: paths go absolute.
std::string absolute_path(const std::string& path) { return std::filesystem::absolute(path).lexically_normal().string(); }

// PROFILE-20261205T123456Z.tar.zst
std::string default_archive_name(const std::string& profile) { return profile + "-" + moltbot::utc_stamp() + ".tar.zst"; }

CLI::App* add_target_command(CLI::App& app, Invocation& invocation, const std::string& name,
                             const std::string& description, std::string& target, bool& include_rescue, bool& wait,
                             std::string& timeout) {
  auto* command = app.add_subcommand(name, description);
  command->add_option("TARGET", target, "A profile name, or `all` (rescue profiles only with --include-rescue)")
      ->required();
  command->add_flag("--include-rescue", include_rescue, "With `all`: include rescue profiles");
  command->add_flag("--wait", wait, "Wait until every profile got there, showing progress");
  command->add_option("--timeout", timeout, "How long --wait waits (\"30s\", \"2m\"; default 60s)");
  command->callback([&invocation, name] { invocation.command = name; });
  return command;
}

// `exec PROFILE -- COMMAND [ARG...]`: COMMAND is exactly what follows the first `--`, so none of
// its arguments can be taken for one of ours. Returns the exit status.
int run_exec(int argc, char** argv, const Invocation& invocation, const std::string& profile,
             const std::vector<std::string>& command) {
  const auto end = argv + argc;
  const auto dash = std::find(argv + 1, end, std::string_view("--"));
  if (invocation.json_output) {
    std::cerr << "moltbot-supervisorctl: exec: --json does not apply: the command's output is its own (its own "
                 "options go after `--`)\n";
    return exit_usage;
  }
  if (dash == end || std::vector<std::string>(dash + 1, end) != command) {
    std::cerr << "moltbot-supervisorctl: exec: the command goes after `--`: moltbot-supervisorctl exec PROFILE -- "
                 "COMMAND [ARG...]\n";
    return exit_usage;
  }
  for (std::size_t i = 0; i < command.size(); ++i)
    if (moltbot::non_text_reason(command[i])) {
      std::cerr << "moltbot-supervisorctl: exec: argument " << i + 1
                << " of the command is not UTF-8 text, which the control protocol cannot carry\n";
      return exit_usage;
    }
  return exec_in_profile(invocation.socket, profile, command);
}

int run(int argc, char** argv) {
  Invocation invocation;
  invocation.socket = moltbot::config::default_socket_path(moltbot::current_environment(), ::geteuid());
  CLI::App app{"Controls a running moltbot-supervisord through its control socket.", "moltbot-supervisorctl"};
  // The last one counts, so one may be added to a command line that has one already.
  app.add_option("--socket", invocation.socket, "The supervisor's control socket")
      ->capture_default_str()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("--json", invocation.json_output, "Print the reply's data as JSON (stream lines as JSON lines)");
  app.add_flag("--raw", invocation.raw_output,
               "logs, events: write control characters of gateway output to a terminal as they are (by default "
               "shown as \\x1b, \\r, ...; a pipe always gets them as they are)");
  app.require_subcommand(1);
  // Subcommands hand the options they do not know to the app: `status --json` is `--json status`.
  app.fallthrough();
  app.footer("--socket and --json may also follow the subcommand (with exec: --socket, before `--`).");

  std::string profile;
  auto* status = app.add_subcommand("status", "Show every profile, or one (exit 3 when it is not running)");
  status->add_option("PROFILE", profile, "Only this profile");

  std::string target;
  std::string timeout;
  bool include_rescue = false;
  bool wait = false;
  for (const auto& [name, description] :
       {std::pair{"start", "Start a profile or all"}, {"stop", "Stop a profile or all"},
        {"restart", "Restart a profile or all"}})
    add_target_command(app, invocation, name, description, target, include_rescue, wait, timeout);

  std::string signal;
  auto* signal_command = app.add_subcommand("signal", "Send a signal to a profile's gateway process");
  signal_command->add_option("SIG", signal, "SIGUSR1, USR1, 10, ...")->required();
  signal_command->add_option("PROFILE", profile)->required();

  int lines = 20;
  bool follow = false;
  auto* logs = app.add_subcommand("logs", "Show a profile's last log lines");
  logs->add_option("PROFILE", profile)->required();
  logs->add_option("-n", lines, "How many lines")->check(CLI::Range(0, 10000))->capture_default_str();
  logs->add_flag("-f,--follow", follow, "Keep printing new lines as they come");

  app.add_subcommand("events", "Print state changes as they happen, with timestamps");
  app.add_subcommand("ports", "Show every profile's full port set");
  auto* reset = app.add_subcommand("reset", "Leave `fatal` and clear the restart budget");
  reset->add_option("PROFILE", profile)->required();
  bool rolling = false;
  auto* reload = app.add_subcommand("reload",
                                    "Re-read the manifest and apply it: added profiles start, removed ones stop, "
                                    "changed ones restart, the others keep running (exit 1 and every diagnostic when "
                                    "it is invalid)");
  reload->add_flag("--rolling", rolling,
                   "Replace changed profiles one at a time, rescue last, each proved running before the next; roll "
                   "back on the first failure (the default with defaults.rollout in the manifest)");
  reload->add_flag("--wait", wait, "Wait for a rolling reload to end, showing progress (exit 1 if it rolled back)");
  app.add_subcommand("shutdown", "Stop every profile and exit the supervisor");
  app.add_subcommand("reexec",
                     "Exec the supervisor's program afresh (after an upgrade), keeping its pid, every gateway and "
                     "their state; a program that cannot take over leaves the supervisor running as it was");
  app.add_subcommand("version", "Show the supervisor's version and protocol");

  std::string out;
  auto* backup = app.add_subcommand("backup",
                                    "Archive a profile's state dir and config file while its gateway runs (tar + zstd, "
                                    "mode 0600; root and the supervisor's uid only)");
  backup->add_option("PROFILE", profile)->required();
  backup->add_option("--out", out, "The archive to write (default ./PROFILE-TIME.tar.zst); must not exist");
  std::string from;
  auto* restore = app.add_subcommand("restore",
                                     "Verify an archive, stop the profile, put its state back and start it; the "
                                     "previous state returns if it does not start (root and the supervisor's uid only)");
  restore->add_option("PROFILE", profile)->required();
  restore->add_option("--from", from, "The archive `backup` wrote")->required();
  restore->add_option("--timeout", timeout, "How long the profile may take to run again (default 2m)");
  std::string top_sort = "cpu";
  int top_iterations = 0;
  auto* top = app.add_subcommand("top",
                                 "Every profile's state, readiness, uptime, restarts, CPU, memory and processes, "
                                 "refreshed every second (keys c m n r s u sort, q quits; plain tables when not on a "
                                 "terminal)");
  top->add_option("--sort", top_sort, "cpu, mem, name, restarts, state or uptime")->capture_default_str();
  top->add_option("-n,--iterations", top_iterations, "Refreshes before exiting (default: until q; 1 when not on a terminal)")
      ->check(CLI::Range(0, 1000000));

  std::vector<std::string> command;
  auto* exec = app.add_subcommand("exec",
                                  "Run COMMAND in this terminal with exactly the environment of the profile's gateway "
                                  "and {port}-style placeholders expanded (root and the supervisor's uid only)");
  exec->add_option("PROFILE", profile)->required();
  exec->add_option("COMMAND", command, "After `--`: the command and its arguments, passed as they are")->required();
  // Not through the app: an option the exec subcommand does not know is a mistake, or COMMAND's
  // without the `--`.
  exec->fallthrough(false);
  exec->add_option("--socket", invocation.socket, "The supervisor's control socket")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? exit_ok : exit_usage;
  }

  auto* chosen = app.get_subcommands().front();
  if (chosen == exec) return run_exec(argc, argv, invocation, profile, command);
  if (chosen == top) {
    auto sort = sort_for_name(top_sort);
    if (!sort) {
      std::cerr << "moltbot-supervisorctl: top: --sort " << top_sort
                << ": expected cpu, mem, name, restarts, state or uptime\n";
      return exit_usage;
    }
    if (invocation.json_output) {
      std::cerr << "moltbot-supervisorctl: top: --json does not apply: `status --json` gives the same figures\n";
      return exit_usage;
    }
    return run_top(invocation.socket, *sort, top_iterations);
  }
  if (invocation.command.empty()) invocation.command = chosen->get_name();
  auto& args = invocation.args;
  if (!profile.empty()) args["profile"] = profile;
  if (!target.empty()) {
    args["target"] = target;
    args["include_rescue"] = include_rescue;
    args["wait"] = wait;
  }
  // --wait's, or restore's
  if (!timeout.empty()) {
    auto parsed = moltbot::parse_duration(timeout);
    if (!parsed || parsed->count() == 0) {
      std::cerr << "moltbot-supervisorctl: --timeout: \"" << timeout << "\" is not a duration such as 30s or 2m\n";
      return exit_usage;
    }
    args["timeout_ms"] = parsed->count();
  }
  if (!signal.empty()) args["signal"] = signal;
  if (chosen == reload) {
    args["rolling"] = rolling;
    args["wait"] = wait;
  }
  if (chosen == backup) args["out"] = absolute_path(out.empty() ? default_archive_name(profile) : out);
  if (chosen == restore) args["from"] = absolute_path(from);
  if (chosen == logs) {
    args["lines"] = lines;
    args["follow"] = follow;
  }
  return talk(invocation);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const moltbot::ctl::NotRunning& error) {
    std::cerr << "moltbot-supervisorctl: " << error.what() << '\n';
    return exit_not_running;
  } catch (const moltbot::ctl::UntrustedSocket& error) {
    std::cerr << "moltbot-supervisorctl: " << error.what() << '\n';
    return exit_untrusted_socket;
  } catch (const std::exception& error) {
    std::cerr << "moltbot-supervisorctl: " << error.what() << '\n';
    return exit_error;
  }
}
