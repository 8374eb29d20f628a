#include "moltbot/runtime/child_record.h"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "moltbot/runtime/process_marker.h"
#include "moltbot/runtime/state_record.h"

namespace moltbot::runtime {

namespace {

// A newer build that changes the format writes another version; one that can still read this one
// keeps reading it, so a record left before an upgrade is adopted after it.
constexpr int record_version = 1;

std::optional<std::uint64_t> parse_hash(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (text.size() != 16 || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<ChildRecord> describe_child(pid_t pid, std::uint64_t entry_hash, std::string instance,
                                          config::RestartMode restart_mode) {
  auto stat = read_proc_stat(pid);
  if (!stat || stat->state == 'Z') return std::nullopt;
  return ChildRecord{{pid, stat->start_time}, stat->pgid, entry_hash, std::move(instance), restart_mode};
}

std::optional<std::string> record_child(const std::string& state_dir, const ChildRecord& record) {
  const nlohmann::json text{{"version", record_version},
                            {"pid", record.process.pid},
                            {"start_time", record.process.start_time},
                            {"pgid", record.pgid},
                            {"entry_hash", fmt::format("{:016x}", record.entry_hash)},
                            {"instance", record.instance},
                            {"restart_mode", record.restart_mode == config::RestartMode::external ? "external"
                                                                                                   : "in-process"}};
  return write_state_record(state_dir, child_record_name, text.dump() + "\n");
}

void forget_child(const std::string& state_dir) { remove_state_record(state_dir, child_record_name); }

std::optional<ChildRecord> read_child_record(const std::string& state_dir) {
  const auto text = read_state_record(state_dir, child_record_name);
  if (!text) return std::nullopt;
  const auto json = nlohmann::json::parse(*text, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  const auto number = [&](const char* key) -> std::optional<std::uint64_t> {
    const auto found = json.find(key);
    if (found == json.end() || !found->is_number_unsigned()) return std::nullopt;
    return found->get<std::uint64_t>();
  };
  const auto version = number("version");
  const auto pid = number("pid"), start_time = number("start_time"), pgid = number("pgid");
  const auto hash = json.contains("entry_hash") && json["entry_hash"].is_string()
                        ? parse_hash(json["entry_hash"].get<std::string>())
                        : std::nullopt;
  const auto text_of = [&](const char* key) {
    const auto found = json.find(key);
    return found != json.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  const auto instance = text_of("instance"), restart_mode = text_of("restart_mode");
  constexpr std::uint64_t max_pid = 1 << 22;  // PID_MAX_LIMIT
  if (version != static_cast<std::uint64_t>(record_version) || !pid || *pid <= 1 || *pid > max_pid ||
      !start_time || !pgid || *pgid < 1 || *pgid > max_pid || !hash || !is_instance_id(instance) ||
      (restart_mode != "external" && restart_mode != "in-process"))
    return std::nullopt;
  return ChildRecord{{static_cast<pid_t>(*pid), *start_time},
                     static_cast<pid_t>(*pgid),
                     *hash,
                     instance,
                     restart_mode == "external" ? config::RestartMode::external : config::RestartMode::in_process};
}

std::optional<RecordedChild> find_recorded_child(const std::string& state_dir, const std::string& profile, uid_t uid) {
  auto record = read_child_record(state_dir);
  if (!record) return std::nullopt;
  auto pidfd = Pidfd::of(record->process);
  if (!pidfd || process_uid(record->process.pid) != uid ||
      read_marker(record->process.pid, record->instance).profile != profile)
    return std::nullopt;
  // The uid and marker were read from whatever had the pid: still the recorded process?
  if (!is_alive(record->process)) return std::nullopt;
  return RecordedChild{*record, std::move(*pidfd)};
}

}  // namespace moltbot::runtime
