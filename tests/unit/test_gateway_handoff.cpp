// The restart handoff of moltbot-gateway without processes: the record's fields and validation,
// the rules of consume, the --expected-pid parser and the store's files (docs/gateway.md,
// "Restart handoff"). Concurrency and the CLI's exit statuses are in the integration tests.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <regex>

#include "handoff_record.h"
#include "handoff_store.h"
#include "moltbot/test/temp_dir.h"

using namespace moltbot::gateway;
using moltbot::test::TempDir;
using nlohmann::json;

namespace {

constexpr long long now = 1'800'000'000'000;

json valid_record() {
  return json{{"kind", "gateway-supervisor-restart-handoff"},
              {"version", 1},
              {"intentId", "a"},
              {"pid", 4242},
              {"createdAt", now - 1000},
              {"expiresAt", now + 59000},
              {"reason", "SIGUSR2"},
              {"source", "signal"},
              {"restartKind", "full-process"},
              {"supervisorMode", "external"}};
}

}  // namespace

TEST_CASE("handoff record: made, written and read back like the real gateway's row") {
  Handoff handoff = make_handoff(4242, "instance-1", "gateway.restart", now);
  CHECK(handoff.expires_at - handoff.created_at == 60000);
  CHECK(handoff.source == "operator-restart");
  CHECK(std::regex_match(handoff.intent_id,
                         std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(make_handoff(1, "", "x", now).intent_id != handoff.intent_id);

  const std::string text = handoff_json(handoff).dump();
  CHECK(text.starts_with(R"({"kind":"gateway-supervisor-restart-handoff","version":1,"intentId":")"));
  CHECK(text.find(R"("pid":4242,"processInstanceId":"instance-1","createdAt":)") != std::string::npos);
  CHECK(text.ends_with(R"("reason":"gateway.restart","source":"operator-restart","restartKind":"full-process",)"
                       R"("supervisorMode":"external"})"));
  auto back = parse_handoff(text);
  REQUIRE(back);
  CHECK(back->intent_id == handoff.intent_id);
  CHECK(back->pid == 4242);
  CHECK(back->created_at == now);

  CHECK(handoff_source("SIGUSR2") == "signal");
  CHECK(handoff_source("config reload: gateway.bind") == "config-write");
  CHECK(handoff_source("plugin install") == "plugin-change");
  CHECK(handoff_source("update.run") == "gateway-update");
  CHECK(handoff_source("") == "unknown");
}

TEST_CASE("handoff record: anything the real gateway would not accept is invalid") {
  auto invalid_with = [](const char* key, const json& value) {
    json record = valid_record();
    if (value.is_discarded()) {
      record.erase(key);
    } else {
      record[key] = value;
    }
    return !parse_handoff(record.dump());
  };
  CHECK(parse_handoff(valid_record().dump()));
  CHECK(invalid_with("kind", "other"));
  CHECK(invalid_with("version", 2));
  CHECK(invalid_with("intentId", "   "));
  CHECK(invalid_with("intentId", json(json::value_t::discarded)));
  CHECK(invalid_with("pid", 0));
  CHECK(invalid_with("pid", 1.5));
  CHECK(invalid_with("pid", "4242"));
  CHECK(invalid_with("expiresAt", now - 1000));          // not after createdAt
  CHECK(invalid_with("expiresAt", now - 1000 + 60001));  // beyond the 60 s time to live
  CHECK(invalid_with("source", "cron"));
  CHECK(invalid_with("restartKind", "in-process"));
  CHECK(invalid_with("supervisorMode", "runit"));
  CHECK_FALSE(parse_handoff("not json"));
  CHECK_FALSE(parse_handoff("[1]"));
}

TEST_CASE("consume decisions: accepted, missing, pid mismatch (kept), expired and invalid (removed)") {
  const std::string record = valid_record().dump();
  ConsumeDecision accepted = decide_consume(record, 4242, now);
  CHECK(accepted.status == "accepted");
  CHECK(accepted.remove_record);
  REQUIRE(accepted.handoff);
  CHECK(consume_reply(accepted).dump() ==
        R"({"ok":true,"protocol":"openclaw.gateway.restart-handoff","protocolVersion":1,"status":"accepted","handoff":)" +
            handoff_json(*accepted.handoff).dump() + "}");

  ConsumeDecision missing = decide_consume(std::nullopt, 4242, now);
  CHECK(consume_reply(missing).dump() ==
        R"({"ok":true,"protocol":"openclaw.gateway.restart-handoff","protocolVersion":1,"status":"none","reason":"missing"})");

  ConsumeDecision mismatch = decide_consume(record, 7, now);
  CHECK_FALSE(mismatch.remove_record);
  CHECK(consume_reply(mismatch).dump() ==
        R"({"ok":true,"protocol":"openclaw.gateway.restart-handoff","protocolVersion":1,"status":"rejected",)"
        R"("reason":"pid-mismatch","handoffPid":4242})");

  ConsumeDecision expired = decide_consume(record, 4242, now + 59000);  // expiresAt itself is past
  CHECK(expired.remove_record);
  CHECK(consume_reply(expired)["reason"] == "expired");
  CHECK(consume_reply(expired)["handoffPid"] == 4242);

  ConsumeDecision from_the_future = decide_consume(record, 4242, now - 1001);
  CHECK(from_the_future.remove_record);
  CHECK(consume_reply(from_the_future).dump().ends_with(R"("status":"rejected","reason":"invalid"})"));

  CHECK(consume_error_reply("store-unavailable").dump() ==
        R"({"ok":false,"protocol":"openclaw.gateway.restart-handoff","protocolVersion":1,"status":"error",)"
        R"("reason":"store-unavailable"})");
  CHECK(capabilities_reply().dump() ==
        R"({"ok":true,"protocol":"openclaw.gateway.restart-handoff","protocolVersion":1,"operations":["consume"]})");
}

TEST_CASE("expected pid: a positive safe integer, spaces and a plus sign allowed, as the real CLI") {
  CHECK(parse_expected_pid("42") == 42);
  CHECK(parse_expected_pid(" 7 ") == 7);
  CHECK(parse_expected_pid("+7") == 7);
  CHECK(parse_expected_pid("007") == 7);
  CHECK(parse_expected_pid("9007199254740991") == 9007199254740991LL);
  for (auto* bad : {"", "abc", "0", "-5", "-0", "4.0", "1e3", "0x10", "9007199254740992", "12345678901234567890"}) {
    INFO(bad);
    CHECK_FALSE(parse_expected_pid(bad));
  }
}

TEST_CASE("handoff store: a 0600 record, consumed once; a missing state dir holds none") {
  TempDir state;
  REQUIRE_FALSE(write_handoff(state.path(), make_handoff(4242, "", "SIGUSR2", unix_now_ms())));
  struct stat info {};
  REQUIRE(::stat(handoff_record_path(state.path()).c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  CHECK(consume_handoff(state.path(), 1).decision->reason == "pid-mismatch");
  CHECK(consume_handoff(state.path(), 4242).decision->status == "accepted");
  CHECK_FALSE(std::filesystem::exists(handoff_record_path(state.path())));
  CHECK(consume_handoff(state.path(), 4242).decision->reason == "missing");

  CHECK(consume_handoff(state.path() / "absent", 4242).decision->reason == "missing");
  CHECK_FALSE(std::filesystem::exists(state.path() / "absent"));

  auto file_as_state_dir = state.write("a-file", "x");
  ConsumeOutcome unusable = consume_handoff(file_as_state_dir, 4242);
  CHECK_FALSE(unusable.decision);
  CHECK(unusable.error.starts_with("cannot lock " + (file_as_state_dir / "gateway-restart-handoff.lock").string()));
}

TEST_CASE("restart request: taken once, only by the pid it names, only while fresh") {
  TempDir state;
  REQUIRE_FALSE(write_restart_request(state.path(), 4242, "gateway.restart"));
  CHECK_FALSE(take_restart_request(state.path(), 7));  // for another pid: dropped
  CHECK_FALSE(std::filesystem::exists(restart_request_path(state.path())));

  REQUIRE_FALSE(write_restart_request(state.path(), 4242, "gateway.restart"));
  CHECK(take_restart_request(state.path(), 4242) == "gateway.restart");
  CHECK_FALSE(take_restart_request(state.path(), 4242));

  state.write("gateway-restart-request.json",
              json{{"pid", 4242}, {"reason", "old"}, {"createdAt", unix_now_ms() - 61000}}.dump());
  CHECK_FALSE(take_restart_request(state.path(), 4242));
  state.write("gateway-restart-request.json", R"({"pid":"4242","reason":7})");
  CHECK_FALSE(take_restart_request(state.path(), 4242));
}
