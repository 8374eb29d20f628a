#include "settings_reader.h"

#include <fmt/format.h>

#include "moltbot/common/duration.h"
#include "moltbot/common/signal_names.h"
#include "moltbot/config/child_environment.h"
#include "moltbot/config/memory_size.h"

namespace moltbot::config::loader {
namespace {

using std::chrono::milliseconds;

const std::vector<std::pair<std::string_view, RestartPolicy>> restart_policies{
    {"always", RestartPolicy::always}, {"on-failure", RestartPolicy::on_failure}, {"never", RestartPolicy::never}};
const std::vector<std::pair<std::string_view, Layout>> layouts{{to_string(Layout::openclaw), Layout::openclaw},
                                                               {to_string(Layout::clawdbot), Layout::clawdbot}};
const std::vector<std::pair<std::string_view, HealthType>> health_types{
    {"tcp", HealthType::tcp}, {"http", HealthType::http}, {"exec", HealthType::exec}, {"none", HealthType::none}};

bool is_variable_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// Field names are dotted paths from the profile ("restart.backoff.initial"); `reader` adds the
// subject and any prefix ("defaults.") to messages.
class SettingsReader {
 public:
  SettingsReader(const FieldReader& reader, const PathContext& paths, SettingsTarget& target)
      : reader_(reader), paths_(paths), target_(target), profile_(target.profile) {}

  void read(const std::string& key, const yaml::Node& value) {
    if (key == "layout") {
      assign(key, value, reader_.choice(value, key, layouts), profile_.layout);
    } else if (key == "command") {
      assign(key, value, command(value, key), profile_.command);
    } else if (key == "cli") {
      assign(key, value, cli(value, key), profile_.cli);
    } else if (key == "env") {
      read_env(value);
    } else if (key == "env_file") {
      if (auto path = reader_.path(value, key, paths_))
        assign(key, value, std::optional(path->string()), profile_.env_file);
    } else if (key == "autostart") {
      assign(key, value, reader_.boolean(value, key), profile_.autostart);
    } else if (key == "restart") {
      read_restart(value);
    } else if (key == "health") {
      read_health(value);
    } else if (key == "stop") {
      read_stop(value);
    } else if (key == "limits") {
      read_section(value, "limits", {"memory", "cpus", "pids", "nofile", "oom_score_adj"}, &SettingsReader::limits_field);
    }
  }

 private:
  template <class Value, class Field>
  void assign(const std::string& field, const yaml::Node& value, std::optional<Value> parsed, Field& into) {
    if (!parsed) return;
    into = std::move(*parsed);
    target_.record(field, value.where);
  }

  std::optional<std::vector<std::string>> command(const yaml::Node& value, const std::string& field) {
    auto words = reader_.string_list(value, field);
    if (words && words->front().empty()) {
      reader_.field_error("bad-value", value.items.front()->where, field, "the program name must not be empty");
      return std::nullopt;
    }
    return words;
  }

  // Like command, but `cli: []` is allowed: no CLI, so no restart handoff.
  std::optional<std::vector<std::string>> cli(const yaml::Node& value, const std::string& field) {
    if (value.kind == yaml::Node::Kind::sequence && value.items.empty()) return std::vector<std::string>{};
    return command(value, field);
  }

  std::optional<milliseconds> duration(const yaml::Node& value, const std::string& field, bool zero_allowed) {
    auto parsed = reader_.duration(value, field);
    if (parsed && !zero_allowed && parsed->count() == 0) {
      reader_.field_error("bad-value", value.where, field, "must be longer than 0");
      return std::nullopt;
    }
    return parsed;
  }

  std::optional<int> count(const yaml::Node& value, const std::string& field, int min, int max) {
    auto parsed = reader_.integer(value, field, min, max);
    if (!parsed) return std::nullopt;
    return static_cast<int>(*parsed);
  }

  std::optional<std::string> url_path(const yaml::Node& value, const std::string& field) {
    auto text = reader_.scalar_text(value, field);
    if (text && !text->starts_with('/')) {
      reader_.field_error("bad-value", value.where, field, fmt::format("\"{}\" must start with '/'", *text));
      return std::nullopt;
    }
    return text;
  }

  // A url_path, or "" for none.
  std::optional<std::optional<std::string>> optional_url_path(const yaml::Node& value, const std::string& field) {
    if (value.kind == yaml::Node::Kind::scalar && value.value.empty()) return std::optional<std::string>{};
    auto path = url_path(value, field);
    if (!path) return std::nullopt;
    return std::optional<std::string>(std::move(*path));
  }

  void read_env(const yaml::Node& node) {
    if (!reader_.expect_mapping(node, "env", "a mapping of NAME: value") ||
        !reader_.within_limit(node, "env", max_list_entries))
      return;
    target_.record("env", node.where);
    for (const yaml::Entry& entry : node.entries) {
      const yaml::Node& key = *entry.key;
      if (key.kind != yaml::Node::Kind::scalar) {
        reader_.field_error("wrong-type", key.where, "env",
                            fmt::format("variable names must be plain names, got {}", FieldReader::describe(key)));
        continue;
      }
      if (!is_variable_name(key.value)) {
        reader_.field_error(
            "bad-value", key.where, "env",
            fmt::format("bad variable name \"{}\" (letters, digits and _, not starting with a digit)", key.value));
        continue;
      }
      const std::string field = "env." + key.value;
      if (is_profile_identity_variable(key.value)) {
        reader_.field_error("bad-value", key.where, field, identity_variable_advice(key.value));
        continue;
      }
      const yaml::Node& value = *entry.value;
      if (value.kind != yaml::Node::Kind::scalar) {
        reader_.field_error("wrong-type", value.where, field,
                            fmt::format("expected a string, number or boolean, got {}", FieldReader::describe(value)));
        continue;
      }
      profile_.env[key.value] = value.value;
      target_.record(field, value.where);
    }
  }

  using SectionField = void (SettingsReader::*)(const std::string& field, const yaml::Node& value);

  // Hands each known key of a section to `read_field` with its full name ("restart.policy").
  void read_section(const yaml::Node& node, const std::string& section, const std::vector<std::string_view>& keys,
                    SectionField read_field) {
    reader_.for_each_field(node, section, keys, [&](const std::string& key, const yaml::Entry& entry) {
      (this->*read_field)(section + "." + key, *entry.value);
    });
  }

  void read_restart(const yaml::Node& node) {
    read_section(node, "restart",
                 {"policy", "backoff", "reset_after", "max_restarts", "window", "no_restart_exit_codes"},
                 &SettingsReader::restart_field);
  }

  void restart_field(const std::string& field, const yaml::Node& value) {
    RestartSpec& restart = profile_.restart;
    if (field == "restart.policy") assign(field, value, reader_.choice(value, field, restart_policies), restart.policy);
    if (field == "restart.backoff")
      read_section(value, field, {"initial", "max", "factor"}, &SettingsReader::backoff_field);
    if (field == "restart.reset_after") assign(field, value, duration(value, field, true), restart.reset_after);
    if (field == "restart.max_restarts") assign(field, value, count(value, field, 0, 1000000), restart.max_restarts);
    if (field == "restart.window") assign(field, value, duration(value, field, false), restart.window);
    if (field == "restart.no_restart_exit_codes")
      assign(field, value, exit_codes(value, field), restart.no_restart_exit_codes);
  }

  void backoff_field(const std::string& field, const yaml::Node& value) {
    Backoff& backoff = profile_.restart.backoff;
    // 0 restarts at once; max_restarts within window still ends a crash loop.
    if (field == "restart.backoff.initial") assign(field, value, duration(value, field, true), backoff.initial);
    if (field == "restart.backoff.max") assign(field, value, duration(value, field, false), backoff.max);
    if (field == "restart.backoff.factor") assign(field, value, reader_.number(value, field, 1, 100), backoff.factor);
  }

  std::optional<std::vector<int>> exit_codes(const yaml::Node& node, const std::string& field) {
    if (node.kind != yaml::Node::Kind::sequence) {
      reader_.field_error("wrong-type", node.where, field,
                          fmt::format("expected a list of exit codes, got {}", FieldReader::describe(node)));
      return std::nullopt;
    }
    if (!reader_.within_limit(node, field, max_list_entries)) return std::nullopt;
    std::vector<int> codes;
    bool ok = true;
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      auto code = count(*node.items[i], fmt::format("{}[{}]", field, i), 0, 255);
      if (code) codes.push_back(*code);
      ok = ok && code.has_value();
    }
    if (!ok) return std::nullopt;
    return codes;
  }

  void read_health(const yaml::Node& node) {
    read_section(node, "health",
                 {"type", "path", "command", "interval", "timeout", "failures", "start_period", "start_interval",
                  "ready_path", "startup_path"},
                 &SettingsReader::health_field);
  }

  void health_field(const std::string& field, const yaml::Node& value) {
    HealthSpec& health = profile_.health;
    if (field == "health.type") assign(field, value, reader_.choice(value, field, health_types), health.type);
    if (field == "health.path") assign(field, value, url_path(value, field), health.path);
    if (field == "health.command") assign(field, value, command(value, field), health.command);
    if (field == "health.interval") assign(field, value, duration(value, field, false), health.interval);
    if (field == "health.timeout") assign(field, value, duration(value, field, false), health.timeout);
    if (field == "health.failures") assign(field, value, count(value, field, 1, 1000), health.failures);
    if (field == "health.start_period") assign(field, value, duration(value, field, true), health.start_period);
    if (field == "health.start_interval") assign(field, value, duration(value, field, false), health.start_interval);
    if (field == "health.ready_path") assign(field, value, url_path(value, field), health.ready_path);
    if (field == "health.startup_path") assign(field, value, optional_url_path(value, field), health.startup_path);
  }

  void read_stop(const yaml::Node& node) {
    read_section(node, "stop", {"signal", "timeout"}, &SettingsReader::stop_field);
  }

  void stop_field(const std::string& field, const yaml::Node& value) {
    if (field == "stop.signal") assign(field, value, signal(value, field), profile_.stop.signal);
    if (field == "stop.timeout") assign(field, value, duration(value, field, true), profile_.stop.timeout);
  }

  void limits_field(const std::string& field, const yaml::Node& value) {
    Limits& limits = profile_.limits;
    if (field == "limits.memory") assign(field, value, memory_size(value, field), limits.memory);
    if (field == "limits.cpus") assign(field, value, reader_.number(value, field, 0.01, 4096), limits.cpus);
    if (field == "limits.pids") assign(field, value, reader_.integer(value, field, 1, 4194304), limits.pids);
    if (field == "limits.nofile")
      assign(field, value, reader_.integer(value, field, 16, 1073741816), limits.nofile);
    if (field == "limits.oom_score_adj")
      assign(field, value, count(value, field, -1000, 1000), limits.oom_score_adj);
  }

  std::optional<std::uint64_t> memory_size(const yaml::Node& value, const std::string& field) {
    auto text = reader_.scalar_text(value, field);
    if (!text) return std::nullopt;
    auto bytes = parse_memory_size(*text);
    if (!bytes || *bytes < 4096)
      reader_.field_error("bad-value", value.where, field,
                          fmt::format("\"{}\" is not a memory size of at least 4K (use bytes or 512M, 1.5G, 2G)", *text));
    return bytes && *bytes >= 4096 ? bytes : std::nullopt;
  }

  std::optional<int> signal(const yaml::Node& value, const std::string& field) {
    auto text = reader_.scalar_text(value, field);
    if (!text) return std::nullopt;
    auto number = parse_signal(*text);
    if (!number)
      reader_.field_error(
          "bad-value", value.where, field,
          fmt::format("unknown signal \"{}\" (use a name such as SIGTERM, TERM or INT, or a number)", *text));
    return number;
  }

  const FieldReader& reader_;
  const PathContext& paths_;
  SettingsTarget& target_;
  Profile& profile_;
};

}  // namespace

void SettingsTarget::record(const std::string& field, const SourceLocation& where) {
  profile.field_locations[field] = where;
  set_here.insert(field);
}

void read_shared_setting(const std::string& key, const yaml::Node& value, const FieldReader& reader,
                         const PathContext& paths, SettingsTarget& target) {
  SettingsReader(reader, paths, target).read(key, value);
}

void check_settings(const SettingsTarget& target, const FieldReader& reader) {
  const Profile& profile = target.profile;
  const auto set_here = [&](const char* field) { return target.set_here.count(field) > 0; };

  const Backoff& backoff = profile.restart.backoff;
  if (backoff.initial > backoff.max && (set_here("restart.backoff.initial") || set_here("restart.backoff.max"))) {
    const char* field = set_here("restart.backoff.initial") ? "restart.backoff.initial" : "restart.backoff.max";
    reader.field_error("bad-value", profile.location_of(field), field,
                       fmt::format("backoff starts at {} but may grow only to {} (restart.backoff.max)",
                                   format_duration(backoff.initial), format_duration(backoff.max)));
  }

  const HealthSpec& health = profile.health;
  if (health.type == HealthType::exec && health.command.empty() &&
      (set_here("health.type") || set_here("health.command")))
    reader.field_error("bad-value", profile.location_of("health.type"), "health.type",
                       "type exec needs health.command (the program to run)");
}

}  // namespace moltbot::config::loader
