#include "exec_argv.h"

#include <fmt/format.h>

#include "moltbot/gateway/launch_spec.h"

namespace moltbot::control {

std::vector<std::string> expanded_argv(const Request& request, const config::Profile& profile) {
  auto argv = string_list_arg(request, "argv");
  if (argv.empty()) throw CommandError("bad-argument", fmt::format("{}: argument \"argv\" is empty", request.command));
  for (std::size_t i = 0; i < argv.size(); ++i) {
    auto expanded = gateway::expand_placeholders(argv[i], profile);
    if (expanded.error)
      throw CommandError("bad-argument",
                         fmt::format("{}: argv[{}] \"{}\": {}", request.command, i, argv[i], *expanded.error));
    argv[i] = std::move(expanded.text);
  }
  return argv;
}

}  // namespace moltbot::control
