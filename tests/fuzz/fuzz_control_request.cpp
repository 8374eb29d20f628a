// libFuzzer target: one control request line (docs/control-protocol.md) through parse_request,
// then every typed argument accessor on every argument it carries and on the ones the commands
// read, and the reply the dispatcher would write. The accessors' results are checked against the
// JSON they came from, so a wrong value is a crash too, not only undefined behaviour.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "moltbot/control/protocol.h"

namespace {

using namespace moltbot::control;
using nlohmann::json;

// The argument names the commands read (lifecycle_commands.cpp, stream_commands.cpp, ...).
const std::vector<std::string> known_arguments{"profile", "target", "include_rescue", "wait",
                                               "timeout_ms", "lines", "follow", "signal", "argv"};

struct Range {
  long min, max;
};
// The commands' ranges, and the widest one the accessor accepts.
constexpr Range ranges[] = {
    {0, 10000}, {1, 3600000}, {std::numeric_limits<long>::min(), std::numeric_limits<long>::max()}};

void require(bool condition) {
  if (!condition) std::abort();
}

// The reply a failed accessor turns into; the session writes it as one line.
void reply_with(const CommandError& error) {
  require(!error.code().empty());
  error_reply(error.code(), error.what(), error.details()).dump();
}

void exercise_argument(const Request& request, const std::string& name) {
  const auto found = request.args.find(name);
  const bool present = found != request.args.end() && !found->is_null();
  try {
    const std::string value = string_arg(request, name);
    require(present && found->is_string() && *found == value);
  } catch (const CommandError& error) {
    reply_with(error);
  }
  try {
    require(string_arg_or(request, name, "fallback") == (present ? found->get<std::string>() : "fallback"));
  } catch (const CommandError& error) {
    require(present && !found->is_string());
    reply_with(error);
  }
  try {
    const auto strings = string_list_arg(request, name);
    require(present && found->is_array() && *found == json(strings));
  } catch (const CommandError& error) {
    require(!present || !found->is_array() || !std::all_of(found->begin(), found->end(), [](const json& item) {
      return item.is_string();
    }));
    reply_with(error);
  }
  for (const bool fallback : {false, true}) {
    try {
      const bool value = bool_arg_or(request, name, fallback);
      require(present ? found->is_boolean() && *found == value : value == fallback);
    } catch (const CommandError& error) {
      require(present && !found->is_boolean());
      reply_with(error);
    }
  }
  for (const Range& range : ranges) {
    try {
      const long value = number_arg_or(request, name, range.min, range.min, range.max);
      require(value >= range.min && value <= range.max);
      // The same number as written: compared as text, since nlohmann compares a huge unsigned
      // with a signed number after converting it.
      require(present ? json(value).dump() == found->dump() : value == range.min);
    } catch (const CommandError& error) {
      require(present);
      reply_with(error);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_request(line);
  if (auto* error = std::get_if<CommandError>(&parsed)) {
    reply_with(*error);
    return 0;
  }
  const Request& request = std::get<Request>(parsed);
  require(request.args.is_object());
  error_reply("unknown-command", "unknown command \"" + request.command + "\"").dump();
  for (const auto& [name, value] : request.args.items()) exercise_argument(request, name);
  for (const std::string& name : known_arguments) exercise_argument(request, name);
  return 0;
}
