#include "exec_command.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <variant>

#include "control_client.h"
#include "exit_status.h"
#include "human_output.h"
#include "moltbot/common/base64.h"
#include "moltbot/common/environment.h"
#include "moltbot/common/program_lookup.h"
#include "moltbot/common/signal_names.h"
#include "moltbot/common/write_all.h"
#include "moltbot/gateway/launch_spec.h"

namespace moltbot::ctl {

using nlohmann::json;

namespace {

// An error reply, or (null) none at all.
void print_failure(const json& error) {
  if (error.is_null())
    std::cerr << "moltbot-supervisorctl: the supervisor closed the connection without a reply\n";
  else
    print_error(error, std::cerr);
}

struct Launch {
  std::vector<std::string> argv;  // placeholders expanded
  Environment env;
};

// What the supervisor says to run, or its error reply (null: none). The connection is closed on return, before
// anything is exec'd.
std::variant<Launch, json> ask_supervisor(const std::string& socket, const std::string& profile,
                                          const std::vector<std::string>& command) {
  ControlClient client(socket);
  client.send({{"version", 1}, {"command", "exec-environment"}, {"args", {{"profile", profile}, {"argv", command}}}});
  auto reply = client.next();
  if (!reply) return json();
  if (!reply->value("ok", false)) return (*reply)["error"];
  const auto& data = (*reply)["data"];
  return Launch{data.at("argv").get<std::vector<std::string>>(), data.at("env").get<Environment>()};
}

// Our stdin handed on to the command the supervisor runs, one chunk in flight at a time: the
// next is read only once the supervisor says the last is in the command's pipe.
class InputFeed {
 public:
  static constexpr std::size_t chunk_bytes = 16 * 1024;

  // Whether to wait for our stdin now.
  bool wants_input() const { return !ended_ && !in_flight_; }
  // Our stdin is readable: one chunk, or its end, sent on.
  void send_chunk(ControlClient& client) {
    char chunk[chunk_bytes];
    ssize_t got;
    do got = ::read(STDIN_FILENO, chunk, sizeof chunk);
    while (got < 0 && errno == EINTR);
    if (got <= 0) {  // the end, or a stdin that cannot be read: the command sees its end either way
      ended_ = true;
      return client.send(input_request({{"eof", true}}));
    }
    in_flight_ = true;
    client.send(input_request({{"data", base64_encode(std::string_view(chunk, static_cast<std::size_t>(got)))}}));
  }
  // A `stdin_written` or `stdin_closed` line from the supervisor; false for any other.
  bool take(const json& message) {
    if (message.contains("stdin_written")) in_flight_ = false;
    else if (message.contains("stdin_closed")) ended_ = true;
    else return false;
    return true;
  }

 private:
  static json input_request(json args) {
    return {{"version", 1}, {"command", "exec-input"}, {"args", std::move(args)}};
  }
  bool ended_ = false;
  bool in_flight_ = false;
};

// The next line from the supervisor, feeding `input` whenever our stdin is readable meanwhile.
std::optional<json> next_feeding(ControlClient& client, InputFeed& input) {
  while (!client.has_line()) {
    pollfd waits[2] = {{client.descriptor(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    const nfds_t count = input.wants_input() ? 2 : 1;
    if (::poll(waits, count, -1) < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
    if (count == 2 && waits[1].revents) input.send_chunk(client);
    if (waits[0].revents) break;
  }
  return client.next();
}

// The supervisor runs COMMAND itself (the `exec` command), for a caller who may not be handed the
// profile's environment: our stdin is its stdin, its output is written here as it comes, its exit
// status is ours (128 + the signal's number when a signal ended it, as a shell says).
int run_by_supervisor(const std::string& socket, const std::string& profile, const std::vector<std::string>& command) {
  ControlClient client(socket);
  client.send({{"version", 1},
               {"command", "exec"},
               {"args", {{"profile", profile}, {"argv", command}, {"stdin", true}}}});
  InputFeed input;
  while (auto message = next_feeding(client, input)) {
    if (input.take(*message)) continue;
    for (const auto& [field, fd] : {std::pair{"stdout", STDOUT_FILENO}, std::pair{"stderr", STDERR_FILENO}}) {
      if (!message->contains(field)) continue;
      auto bytes = base64_decode((*message)[field].get<std::string>());
      if (!bytes) throw std::runtime_error(std::string("the supervisor sent ") + field + " that is not base64");
      write_all(fd, *bytes);  // a closed stdout (a pipe's reader gone) loses the rest, as it would the command's
    }
    if (!message->contains("ok")) continue;
    if (!(*message)["ok"].get<bool>()) {
      print_failure((*message)["error"]);
      return exit_error;
    }
    const auto& exit = (*message)["data"].at("exit");
    if (exit.at("code").is_number_integer()) return exit["code"].get<int>();
    return 128 + parse_signal(exit.at("signal").get<std::string>()).value_or(0);
  }
  print_failure(json());
  return exit_error;
}

// argv-style: pointers into `strings`, then a null pointer.
std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Root and the supervisor's uid (the socket file's owner) are handed the environment; anyone else
// is not, so it asks the supervisor to run the command at once, without a refused request first.
bool handed_the_environment(const std::string& socket) {
  struct stat info {};
  return ::geteuid() == 0 || ::stat(socket.c_str(), &info) != 0 || info.st_uid == ::geteuid();
}

}  // namespace

int exec_in_profile(const std::string& socket, const std::string& profile, const std::vector<std::string>& command) {
  if (!handed_the_environment(socket)) return run_by_supervisor(socket, profile, command);
  auto asked = ask_supervisor(socket, profile, command);
  if (auto* error = std::get_if<json>(&asked)) {
    print_failure(*error);
    return exit_error;
  }
  auto* launch = &std::get<Launch>(asked);
  // As the supervisor finds the gateway's own command: in the child's PATH, then next to this
  // program (where moltbot-gateway is installed or built). argv[0] stays as typed, as a shell
  // leaves it.
  std::string program = launch->argv.front();
  if (program.find('/') == std::string::npos) {
    auto found = resolve_program(program, launch->env, gateway::own_executable_dir());
    if (!found) {
      std::cerr << fmt::format("moltbot-supervisorctl: exec: {}: command not found in the profile's PATH ({}) nor "
                               "next to {}\n",
                               program, lookup(launch->env, "PATH").value_or(""),
                               gateway::own_executable_dir().string());
      return exit_command_not_found;
    }
    program = std::move(*found);
  }
  std::vector<std::string> entries;
  entries.reserve(launch->env.size());
  for (const auto& [name, value] : launch->env) entries.push_back(name + '=' + value);
  auto argv = pointers_to(launch->argv);
  auto envp = pointers_to(entries);
  ::execve(program.c_str(), argv.data(), envp.data());
  const int error = errno;
  std::cerr << fmt::format("moltbot-supervisorctl: exec: cannot execute {}: {}\n", program, std::strerror(error));
  return error == ENOENT ? exit_command_not_found : exit_cannot_execute;
}

}  // namespace moltbot::ctl
