#include "exec_command.h"

#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>

#include "control_client.h"
#include "exit_status.h"
#include "human_output.h"
#include "moltbot/common/environment.h"
#include "moltbot/common/program_lookup.h"
#include "moltbot/gateway/launch_spec.h"

namespace moltbot::ctl {

using nlohmann::json;

namespace {

struct Launch {
  std::vector<std::string> argv;  // placeholders expanded
  Environment env;
};

// What the supervisor says to run, or nothing after the error has been printed. The connection
// is closed on return, before anything is exec'd.
std::optional<Launch> ask_supervisor(const std::string& socket, const std::string& profile,
                                     const std::vector<std::string>& command) {
  ControlClient client(socket);
  client.send({{"version", 1}, {"command", "exec-environment"}, {"args", {{"profile", profile}, {"argv", command}}}});
  auto reply = client.next();
  if (!reply) {
    std::cerr << "moltbot-supervisorctl: the supervisor closed the connection without a reply\n";
    return std::nullopt;
  }
  if (!reply->value("ok", false)) {
    print_error((*reply)["error"], std::cerr);
    return std::nullopt;
  }
  const auto& data = (*reply)["data"];
  return Launch{data.at("argv").get<std::vector<std::string>>(), data.at("env").get<Environment>()};
}

// argv-style: pointers into `strings`, then a null pointer.
std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

int exec_in_profile(const std::string& socket, const std::string& profile, const std::vector<std::string>& command) {
  auto launch = ask_supervisor(socket, profile, command);
  if (!launch) return exit_error;
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
