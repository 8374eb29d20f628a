#include "moltbot/runtime/restart_handoff.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <tuple>

#include "moltbot/common/json_string.h"

namespace moltbot::runtime {

using nlohmann::json;

namespace {

constexpr int protocol_version = 1;

// The CLI prints one JSON object (pretty-printed); anything around it (a runtime's warning on
// stdout) is not ours to parse.
json json_object_in(const std::string& text) {
  auto first = text.find('{');
  auto last = text.rfind('}');
  if (first == std::string::npos || last == std::string::npos || last < first) return json();
  json parsed = json::parse(text.begin() + static_cast<long>(first), text.begin() + static_cast<long>(last) + 1,
                            nullptr, /*allow_exceptions=*/false);
  return parsed.is_object() ? parsed : json();
}

std::string string_field(const json& object, const char* name) {
  auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

std::vector<std::string> capabilities_arguments() { return {"gateway", "restart-handoff", "capabilities", "--json"}; }

std::vector<std::string> consume_arguments(pid_t expected_pid) {
  return {"gateway", "restart-handoff", "consume", "--expected-pid", std::to_string(expected_pid), "--json"};
}

HandoffSupport parse_capabilities(const CliOutcome& outcome) {
  const auto refused = [](std::string why) {
    return HandoffSupport{config::RestartMode::in_process, "capabilities probe: " + std::move(why)};
  };
  if (!outcome.exit || outcome.exit->code != 0) return refused(outcome.describe());
  const json answer = json_object_in(outcome.output);
  if (answer.is_null()) return refused("no JSON object in its output");
  const auto version = answer.find("protocolVersion");
  const auto operations = answer.find("operations");
  const bool consumes = operations != answer.end() && operations->is_array() &&
                        std::find(operations->begin(), operations->end(), "consume") != operations->end();
  if (version == answer.end() || !version->is_number_integer() || version->get<int>() != protocol_version || !consumes)
    return refused(fmt::format("no protocol version {} with the consume operation: {}", protocol_version,
                               json_text(answer)));
  return {config::RestartMode::external, fmt::format("restart-handoff protocol {} (consume)", protocol_version)};
}

HandoffVerdict parse_consume(const CliOutcome& outcome) {
  if (outcome.shortage) return {false, "the CLI could not be run: " + outcome.failure, true};
  const json answer = json_object_in(outcome.output);
  const std::string status = answer.is_object() ? string_field(answer, "status") : std::string();
  const std::string reason = answer.is_object() ? string_field(answer, "reason") : std::string();
  if (!outcome.exit || outcome.exit->code != 0 || status.empty()) {
    std::string detail = "consume failed: " + outcome.describe();
    if (!reason.empty()) detail += " (" + reason + ")";
    return {false, detail};
  }
  if (status == "accepted") {
    const auto handoff = answer.find("handoff");
    const json& record = handoff != answer.end() && handoff->is_object() ? *handoff : json::object();
    const std::string why = string_field(record, "reason");
    const std::string source = string_field(record, "source");
    return {true, fmt::format("restart handoff accepted: reason {}, source {}", why.empty() ? "unstated" : why,
                              source.empty() ? "unknown" : source)};
  }
  std::string detail = status + (reason.empty() ? "" : " (" + reason);
  if (auto pid = answer.find("handoffPid"); pid != answer.end() && pid->is_number_integer())
    detail += fmt::format(", handoff of pid {}", pid->get<long long>());
  if (!reason.empty()) detail += ")";
  return {false, "no restart handoff: " + detail};
}

bool HandoffSupportCache::Key::operator<(const Key& other) const {
  return std::tie(program, modified.tv_sec, modified.tv_nsec) <
         std::tie(other.program, other.modified.tv_sec, other.modified.tv_nsec);
}

std::variant<HandoffSupportCache::Key, std::string> HandoffSupportCache::key_of(const std::string& program) {
  struct stat info{};
  if (::stat(program.c_str(), &info) != 0) return fmt::format("{}: {}", program, std::strerror(errno));
  return Key{program, info.st_mtim};
}

std::optional<HandoffSupport> HandoffSupportCache::known(const std::string& program) const {
  auto key = key_of(program);
  if (auto* error = std::get_if<std::string>(&key))
    return HandoffSupport{config::RestartMode::in_process, "capabilities probe: " + *error};
  auto found = entries_.find(std::get<Key>(key));
  if (found == entries_.end() || !found->second.settled) return std::nullopt;
  return found->second.support;
}

void HandoffSupportCache::ask(const SpawnRequest& probe, std::function<void(const HandoffSupport&)> later) {
  auto key = key_of(probe.argv.front());
  if (auto* error = std::get_if<std::string>(&key)) {
    boost::asio::post(io_, [later = std::move(later), error = *error] {
      later({config::RestartMode::in_process, "capabilities probe: " + error});
    });
    return;
  }
  Entry& entry = entries_[std::get<Key>(key)];
  entry.waiting.push_back(std::move(later));
  if (entry.waiting.size() > 1) return;  // asked already, the answer is on its way
  run_cli(io_, reaper_, probe, cli_timeout,
          [weak = weak_from_this(), key = std::get<Key>(key)](const CliOutcome& outcome) {
            // A run the supervisor could not start for want of its own resources says nothing about
            // the runtime: it is asked again at the next start.
            if (auto self = weak.lock()) self->settle(key, parse_capabilities(outcome), !outcome.shortage);
          });
}

void HandoffSupportCache::settle(const Key& key, HandoffSupport support, bool remember) {
  Entry& entry = entries_[key];
  entry.settled = remember;
  entry.support = std::move(support);
  for (auto& known : std::exchange(entry.waiting, {})) known(entry.support);
}

}  // namespace moltbot::runtime
