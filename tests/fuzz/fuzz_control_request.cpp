// libFuzzer target: one control request line (docs/control-protocol.md) through parse_request,
// then every typed argument accessor on every argument it carries and on the ones the commands
// read, and the reply the dispatcher would write. The accessors' results are checked against the
// JSON they came from, so a wrong value is a crash too, not only undefined behaviour. So is a
// request accepted with a duplicate key or a NUL anywhere (found by a plain parse of the line,
// independent of parse_request's own scan), one of those refused for another reason, and an
// error message holding a NUL.
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

// The reply a failed accessor turns into; the session writes it as one line. Names in messages
// are quoted visibly, so none holds a NUL that would cut it short.
void reply_with(const CommandError& error) {
  require(!error.code().empty());
  require(error.message().find('\0') == std::string::npos);
  error_reply(error.code(), error.message(), error.details()).dump();
}

// What a plain parse of the line finds: whether it is JSON, and whether some object repeats a key
// (the parser reads more keys than the tree keeps) or some key or string holds a NUL. NULs are seen
// as the parser reads them: a repeated key's first value, which the tree does not keep, counts.
struct LineFacts {
  bool json = false;
  bool duplicate_key = false;
  bool nul = false;
};

LineFacts facts_of(std::string_view line) {
  LineFacts facts;
  std::size_t keys_read = 0;
  const auto has_nul = [](const json& value) {
    return value.is_string() && value.get_ref<const std::string&>().find('\0') != std::string::npos;
  };
  const json tree = json::parse(
      line,
      [&](int, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::key) ++keys_read;
        if ((event == json::parse_event_t::key || event == json::parse_event_t::value) && has_nul(parsed))
          facts.nul = true;
        return true;
      },
      false);
  if (tree.is_discarded()) return LineFacts{};
  facts.json = true;
  std::size_t keys_kept = 0;
  // Iterative: a line may nest thousands of levels deep.
  std::vector<const json*> pending{&tree};
  while (!pending.empty()) {
    const json* value = pending.back();
    pending.pop_back();
    if (value->is_object())
      for (const auto& [key, item] : value->items()) {
        ++keys_kept;
        pending.push_back(&item);
      }
    if (value->is_array())
      for (const auto& item : *value) pending.push_back(&item);
  }
  facts.duplicate_key = keys_read > keys_kept;
  return facts;
}

// The refusals of parse_request's scan, told apart from the others by how their messages begin.
bool refused_as_duplicate(const CommandError& error) { return error.message().starts_with("duplicate key "); }
bool refused_for_nul(const CommandError& error) {
  return error.message().starts_with("the value of ") || error.message().starts_with("a key in ");
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
  const LineFacts facts = size > max_request_bytes ? LineFacts{} : facts_of(line);
  if (auto* error = std::get_if<CommandError>(&parsed)) {
    if (error->code() == "bad-json") require(!facts.json);
    if (facts.duplicate_key || facts.nul)
      require(error->code() == "bad-request" && (refused_as_duplicate(*error) || refused_for_nul(*error)));
    if (refused_as_duplicate(*error)) require(facts.duplicate_key);
    if (refused_for_nul(*error)) require(facts.nul);
    reply_with(*error);
    return 0;
  }
  require(facts.json && !facts.duplicate_key && !facts.nul);
  const Request& request = std::get<Request>(parsed);
  require(request.args.is_object());
  error_reply("unknown-command", "unknown command \"" + request.command + "\"").dump();
  for (const auto& [name, value] : request.args.items()) exercise_argument(request, name);
  for (const std::string& name : known_arguments) exercise_argument(request, name);
  return 0;
}
