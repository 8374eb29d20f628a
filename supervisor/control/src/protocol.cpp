#include "moltbot/control/protocol.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "moltbot/common/visible_text.h"
#include "request_scan.h"

namespace moltbot::control {

using nlohmann::json;

std::variant<Request, CommandError> parse_request(std::string_view line) {
  if (line.size() > max_request_bytes)
    return CommandError("request-too-large",
                        fmt::format("a request line may have at most {} bytes", max_request_bytes));
  if (auto problem = scan_request(line)) return std::move(*problem);
  auto message = json::parse(line, nullptr, false);
  if (message.is_discarded()) return CommandError("bad-json", "the request line is not valid JSON");
  if (!message.is_object()) return CommandError("bad-request", "a request must be a JSON object");
  auto version = message.find("version");
  if (version == message.end() || !version->is_number_integer())
    return CommandError("bad-request", "\"version\" is missing or not an integer");
  if (*version != protocol_version)
    return CommandError("unsupported-version",
                        fmt::format("protocol version {} is not supported (this supervisor speaks {})",
                                    version->dump(), protocol_version));
  auto command = message.find("command");
  if (command == message.end() || !command->is_string())
    return CommandError("bad-request", "\"command\" is missing or not a string");
  Request request;
  request.command = command->get<std::string>();
  if (auto args = message.find("args"); args != message.end()) {
    if (!args->is_object()) return CommandError("bad-request", "\"args\" must be an object");
    // Moved, not copied: a copy recurses once per nesting level, and 64 KiB of "[[[[..." is deep
    // enough to overflow the stack.
    request.args = std::move(*args);
  }
  for (const auto& [key, value] : message.items())
    if (key != "version" && key != "command" && key != "args")
      return CommandError("bad-request", fmt::format("unknown field {} in the request", quoted_visible(key)));
  return request;
}

json ok_reply(json data) { return {{"version", protocol_version}, {"ok", true}, {"data", std::move(data)}}; }

json error_reply(const std::string& code, const std::string& message, const json& details) {
  json error = details;
  error["code"] = code;
  error["message"] = message;
  return {{"version", protocol_version}, {"ok", false}, {"error", std::move(error)}};
}

json stream_message(const std::string& kind, json payload) {
  return {{"version", protocol_version}, {kind, std::move(payload)}};
}

namespace {

const json* find_arg(const Request& request, const std::string& name) {
  auto found = request.args.find(name);
  return found == request.args.end() || found->is_null() ? nullptr : &*found;
}

// The number as a long, or nullopt when it is not an integer or does not fit. Not through json's
// comparisons with a long: they convert an unsigned number to a signed one first, which turns
// 18446744073709551615 into -1.
std::optional<long> integer_value(const json& value) {
  if (value.is_number_unsigned()) {
    const auto number = value.get<json::number_unsigned_t>();
    return std::in_range<long>(number) ? std::optional<long>(static_cast<long>(number)) : std::nullopt;
  }
  if (value.is_number_integer()) return value.get<long>();
  return std::nullopt;
}

}  // namespace

std::string string_arg(const Request& request, const std::string& name) {
  const json* value = find_arg(request, name);
  if (!value) throw CommandError("bad-argument", fmt::format("{}: argument \"{}\" is required", request.command, name));
  if (!value->is_string())
    throw CommandError("bad-argument", fmt::format("{}: argument \"{}\" must be a string", request.command, name));
  return value->get<std::string>();
}

std::string string_arg_or(const Request& request, const std::string& name, std::string fallback) {
  return find_arg(request, name) ? string_arg(request, name) : std::move(fallback);
}

std::vector<std::string> string_list_arg(const Request& request, const std::string& name) {
  const json* value = find_arg(request, name);
  if (!value) throw CommandError("bad-argument", fmt::format("{}: argument \"{}\" is required", request.command, name));
  const auto not_strings = [&] {
    return CommandError("bad-argument",
                        fmt::format("{}: argument \"{}\" must be an array of strings", request.command, name));
  };
  if (!value->is_array()) throw not_strings();
  std::vector<std::string> strings;
  strings.reserve(value->size());
  for (const auto& item : *value) {
    if (!item.is_string()) throw not_strings();
    strings.push_back(item.get<std::string>());
  }
  return strings;
}

bool bool_arg_or(const Request& request, const std::string& name, bool fallback) {
  const json* value = find_arg(request, name);
  if (!value) return fallback;
  if (!value->is_boolean())
    throw CommandError("bad-argument", fmt::format("{}: argument \"{}\" must be true or false", request.command, name));
  return value->get<bool>();
}

long number_arg_or(const Request& request, const std::string& name, long fallback, long min, long max) {
  const json* value = find_arg(request, name);
  if (!value) return fallback;
  const std::optional<long> number = integer_value(*value);
  if (!number || *number < min || *number > max)
    throw CommandError("bad-argument", fmt::format("{}: argument \"{}\" must be an integer from {} to {}",
                                                   request.command, name, min, max));
  return *number;
}

}  // namespace moltbot::control
