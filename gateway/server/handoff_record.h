#pragma once
// The restart handoff a gateway leaves for its external supervisor when it exits to be restarted
// (docs/gateway.md, "Restart handoff"). Fields, validation, time to live and the rules of consume
// follow the real gateway's gateway_restart_handoff row and consumeGatewayRestartHandoffSync
// (openclaw@2026.9.6, dist/restart-handoff-*.mjs). Pure: no files, no clock.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace moltbot::gateway {

inline constexpr const char* handoff_protocol = "openclaw.gateway.restart-handoff";
inline constexpr int handoff_protocol_version = 1;
inline constexpr const char* handoff_kind = "gateway-supervisor-restart-handoff";
inline constexpr long long handoff_ttl_ms = 60000;  // GATEWAY_RESTART_HANDOFF_TTL_MS

struct Handoff {
  std::string intent_id;            // random, one per restart
  long long pid = 0;                // the process that exits
  std::string process_instance_id;  // random, one per process lifetime; may be empty
  long long created_at = 0;         // Unix milliseconds
  long long expires_at = 0;         // created_at + at most handoff_ttl_ms
  std::string reason;               // "gateway.restart", "SIGUSR2", ...; may be empty
  std::string source;               // derived from reason: operator-restart, signal, ...
  std::string restart_kind = "full-process";
  std::string supervisor_mode = "external";
};

// A random (version 4) UUID from the kernel's random source.
std::string random_uuid();

// The real gateway's source for a reason: "gateway.restart" -> operator-restart, "SIGUSR2" ->
// signal, config/plugin changes, updates; "unknown" otherwise.
std::string handoff_source(std::string_view reason);

// A full-process handoff for external mode, created now and valid for handoff_ttl_ms.
Handoff make_handoff(long long pid, std::string process_instance_id, std::string reason, long long now_ms);

// The record as stored, and as consume returns it: keys in the real gateway's order.
nlohmann::ordered_json handoff_json(const Handoff& handoff);

// The record read back, or nothing when it is not one the real gateway would accept (wrong kind
// or version, no intent id, pid not a positive integer, expiry not after creation or beyond the
// time to live, unknown source, restart kind or supervisor mode).
std::optional<Handoff> parse_handoff(std::string_view text);

// What consume answers for the stored record (or its absence) at `now_ms`.
struct ConsumeDecision {
  std::string status;                // accepted, none, rejected
  std::string reason;                // missing, invalid, expired, pid-mismatch; empty when accepted
  std::optional<long long> handoff_pid;
  std::optional<Handoff> handoff;    // when accepted
  bool remove_record = false;        // accepted, expired and invalid records are deleted
};

ConsumeDecision decide_consume(const std::optional<std::string>& record, long long expected_pid, long long now_ms);

// The JSON consume prints for a decision (ok, protocol, protocolVersion, status, ...).
nlohmann::ordered_json consume_reply(const ConsumeDecision& decision);

// The JSON of a failed consume: invalid-expected-pid or store-unavailable.
nlohmann::ordered_json consume_error_reply(std::string_view reason);

// The JSON of capabilities: protocol version 1, operation consume.
nlohmann::ordered_json capabilities_reply();

// The --expected-pid value as the real CLI takes it: spaces trimmed, an optional sign, decimal
// digits, a positive safe integer (at most 2^53 - 1).
std::optional<long long> parse_expected_pid(std::string_view text);

}  // namespace moltbot::gateway
