#include "handoff_record.h"

#include <sys/random.h>

#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <fmt/format.h>

namespace moltbot::gateway {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr std::size_t max_intent_id_length = 120;
constexpr std::size_t max_process_instance_id_length = 120;
constexpr std::size_t max_reason_length = 200;
constexpr long long max_safe_pid = 9007199254740991;  // Number.MAX_SAFE_INTEGER
constexpr double max_safe_integer = static_cast<double>(max_safe_pid);

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// A string field trimmed and cut to `max_length` bytes (never inside a UTF-8 sequence); empty
// when absent, not a string or blank, as the real gateway's normalizeText.
std::string text_field(const json& record, const char* key, std::size_t max_length) {
  auto it = record.find(key);
  if (it == record.end() || !it->is_string()) return {};
  std::string_view text = trim(it->get_ref<const std::string&>());
  if (text.size() > max_length) {
    std::size_t cut = max_length;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  return std::string(text);
}

std::optional<double> number_field(const json& record, const char* key) {
  auto it = record.find(key);
  if (it == record.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

bool is_safe_integer(double value) { return std::floor(value) == value && std::fabs(value) <= max_safe_integer; }

bool one_of(const json& record, const char* key, std::initializer_list<std::string_view> allowed) {
  auto it = record.find(key);
  if (it == record.end() || !it->is_string()) return false;
  for (std::string_view value : allowed) {
    if (it->get_ref<const std::string&>() == value) return true;
  }
  return false;
}

}  // namespace

std::string random_uuid() {
  std::array<unsigned char, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t n = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n > 0) filled += static_cast<std::size_t>(n);
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::string text;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += fmt::format("{:02x}", bytes[i]);
  }
  return text;
}

std::string handoff_source(std::string_view reason) {
  std::string lower;
  for (char c : reason) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty()) return "unknown";
  if (lower == "update.run") return "gateway-update";
  if (lower == "sigusr2" || lower == "sigusr1") return "signal";
  if (lower == "gateway.restart") return "operator-restart";
  if (lower.find("plugin") != std::string::npos) return "plugin-change";
  if (lower.find("config") != std::string::npos || lower.find("include") != std::string::npos) return "config-write";
  return "unknown";
}

Handoff make_handoff(long long pid, std::string process_instance_id, std::string reason, long long now_ms) {
  Handoff handoff;
  handoff.intent_id = random_uuid();
  handoff.pid = pid;
  handoff.process_instance_id = std::move(process_instance_id);
  handoff.created_at = now_ms;
  handoff.expires_at = now_ms + handoff_ttl_ms;
  handoff.source = handoff_source(reason);
  handoff.reason = std::move(reason);
  return handoff;
}

ordered_json handoff_json(const Handoff& handoff) {
  ordered_json record{{"kind", handoff_kind}, {"version", handoff_protocol_version}, {"intentId", handoff.intent_id},
                      {"pid", handoff.pid}};
  if (!handoff.process_instance_id.empty()) record["processInstanceId"] = handoff.process_instance_id;
  record["createdAt"] = handoff.created_at;
  record["expiresAt"] = handoff.expires_at;
  if (!handoff.reason.empty()) record["reason"] = handoff.reason;
  record["source"] = handoff.source;
  record["restartKind"] = handoff.restart_kind;
  record["supervisorMode"] = handoff.supervisor_mode;
  return record;
}

std::optional<Handoff> parse_handoff(std::string_view text) {
  json record = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object()) return std::nullopt;
  auto kind = record.find("kind");
  auto version = number_field(record, "version");
  auto pid = number_field(record, "pid");
  auto created_at = number_field(record, "createdAt");
  auto expires_at = number_field(record, "expiresAt");
  Handoff handoff;
  handoff.intent_id = text_field(record, "intentId", max_intent_id_length);
  if (kind == record.end() || *kind != handoff_kind || version != 1.0 || handoff.intent_id.empty() || !pid ||
      !is_safe_integer(*pid) || *pid <= 0 || !created_at || !expires_at || *expires_at <= *created_at ||
      *expires_at - *created_at > static_cast<double>(handoff_ttl_ms) ||
      !one_of(record, "source",
              {"config-write", "gateway-update", "operator-restart", "plugin-change", "signal", "unknown"}) ||
      !one_of(record, "restartKind", {"full-process", "update-process"}) ||
      !one_of(record, "supervisorMode", {"launchd", "systemd", "schtasks", "external"})) {
    return std::nullopt;
  }
  handoff.pid = static_cast<long long>(*pid);
  handoff.process_instance_id = text_field(record, "processInstanceId", max_process_instance_id_length);
  handoff.created_at = static_cast<long long>(std::floor(*created_at));
  handoff.expires_at = static_cast<long long>(std::floor(*expires_at));
  handoff.reason = text_field(record, "reason", max_reason_length);
  handoff.source = record["source"].get<std::string>();
  handoff.restart_kind = record["restartKind"].get<std::string>();
  handoff.supervisor_mode = record["supervisorMode"].get<std::string>();
  return handoff;
}

ConsumeDecision decide_consume(const std::optional<std::string>& record, long long expected_pid, long long now_ms) {
  if (!record) return {"none", "missing", std::nullopt, std::nullopt, false};
  std::optional<Handoff> handoff = parse_handoff(*record);
  if (!handoff || now_ms < handoff->created_at) return {"rejected", "invalid", std::nullopt, std::nullopt, true};
  if (now_ms >= handoff->expires_at) return {"rejected", "expired", handoff->pid, std::nullopt, true};
  if (handoff->pid != expected_pid) return {"rejected", "pid-mismatch", handoff->pid, std::nullopt, false};
  return {"accepted", "", std::nullopt, std::move(handoff), true};
}

ordered_json consume_reply(const ConsumeDecision& decision) {
  ordered_json reply{{"ok", true},
                     {"protocol", handoff_protocol},
                     {"protocolVersion", handoff_protocol_version},
                     {"status", decision.status}};
  if (!decision.reason.empty()) reply["reason"] = decision.reason;
  if (decision.handoff_pid) reply["handoffPid"] = *decision.handoff_pid;
  if (decision.handoff) reply["handoff"] = handoff_json(*decision.handoff);
  return reply;
}

ordered_json consume_error_reply(std::string_view reason) {
  return ordered_json{{"ok", false},
                      {"protocol", handoff_protocol},
                      {"protocolVersion", handoff_protocol_version},
                      {"status", "error"},
                      {"reason", reason}};
}

ordered_json capabilities_reply() {
  return ordered_json{{"ok", true},
                      {"protocol", handoff_protocol},
                      {"protocolVersion", handoff_protocol_version},
                      {"operations", {"consume"}}};
}

std::optional<long long> parse_expected_pid(std::string_view text) {
  text = trim(text);
  if (text.starts_with('-')) return std::nullopt;  // zero or negative whatever follows
  if (text.starts_with('+')) text.remove_prefix(1);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  text.remove_prefix(std::min(text.find_first_not_of('0'), text.size()));
  if (text.empty() || text.size() > 16) return std::nullopt;  // zero, or far past 2^53
  long long value = 0;
  for (char digit : text) value = value * 10 + (digit - '0');
  if (value > max_safe_pid) return std::nullopt;
  return value;
}

}  // namespace moltbot::gateway
