// load_manifest: file checks, then the YAML tree, then the top level (version, supervisor,
// defaults, profiles); each profile is read onto a copy of the defaults and resolved.
#include "moltbot/config/load.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <tuple>

#include "account_reader.h"
#include "control_reader.h"
#include "directory_trust_check.h"
#include "field_reader.h"
#include "moltbot/common/text_file.h"
#include "moltbot/config/metrics_endpoint.h"
#include "moltbot/config/rescue_protection.h"
#include "moltbot/config/supervisor_defaults.h"
#include "profile_reader.h"
#include "profile_resolver.h"
#include "settings_reader.h"
#include "yaml_tree.h"

namespace moltbot::config {
namespace {

using namespace loader;

constexpr std::size_t max_manifest_bytes = 4 * 1024 * 1024;
constexpr int supported_version = 1;
// sun_path holds 108 bytes including the terminating NUL.
constexpr std::size_t max_socket_path = 107;

// Anything besides blank lines, comments and document markers.
bool has_content(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  for (std::size_t start = 0; start < text.size();) {
    auto end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    line = line.substr(first, line.find_last_not_of(" \t\r") - first + 1);
    if (line.front() == '#' || line == "---" || line == "...") continue;
    return true;
  }
  return false;
}

Profile built_in_defaults() {
  Profile profile;
  profile.command = {"moltbot-gateway", "--profile", "{profile}", "--port", "{port}"};
  return profile;
}

class ManifestReader {
 public:
  ManifestReader(const std::string& path, const Environment& env, Diagnostics& out)
      : env_(env),
        out_(out),
        paths_{env, std::filesystem::absolute(path).lexically_normal().parent_path()},
        top_(out, "", "", "") {
    manifest_.path = std::filesystem::absolute(path).lexically_normal().string();
  }

  Manifest read(const yaml::Node& root) {
    manifest_.supervisor.socket = default_socket_path(env_, geteuid());
    manifest_.supervisor.log_dir = default_log_dir(env_, geteuid());
    if (root.kind != yaml::Node::Kind::mapping) {
      top_.error("wrong-type", root.where,
                 fmt::format("a manifest is a mapping with version, supervisor, defaults, profiles and control; got {}",
                             FieldReader::describe(root)));
      return std::move(manifest_);
    }
    const yaml::Node* sections[5] = {};
    constexpr std::array<std::string_view, 5> names{"version", "supervisor", "defaults", "profiles", "control"};
    top_.for_each_field(root, "", {names.begin(), names.end()}, [&](const std::string& key, const yaml::Entry& entry) {
      sections[std::find(names.begin(), names.end(), key) - names.begin()] = entry.value.get();
    });
    if (sections[0]) read_version(*sections[0]);
    if (sections[1]) read_supervisor(*sections[1]);
    Profile defaults = built_in_defaults();
    if (sections[2]) read_defaults(*sections[2], defaults);
    if (sections[3])
      read_profiles(*sections[3], defaults);
    else
      top_.error("missing-field", root.where, "missing field \"profiles\" (a mapping of profile names to profiles)");
    // After the profiles, which grants name.
    if (sections[4]) manifest_.supervisor.grants = read_control(*sections[4], top_, manifest_.profiles);
    check_metrics_port();
    check_directory_trust(manifest_, {socket_where_.value_or(root.where), log_dir_where_.value_or(root.where)}, out_);
    return std::move(manifest_);
  }

 private:
  void read_version(const yaml::Node& node) {
    auto version =
        top_.integer(node, "version", std::numeric_limits<long long>::min(), std::numeric_limits<long long>::max());
    if (version && *version != supported_version)
      top_.field_error(
          "bad-value", node.where, "version",
          fmt::format("version {} is not supported (this supervisor reads version {})", *version, supported_version));
  }

  void read_supervisor(const yaml::Node& node) {
    SupervisorSettings& settings = manifest_.supervisor;
    top_.for_each_field(node, "supervisor", {"socket", "socket_group", "log_dir", "on_crash", "metrics"},
                        [&](const std::string& key, const yaml::Entry& entry) {
                          const yaml::Node& value = *entry.value;
                          const std::string field = "supervisor." + key;
                          if (key == "metrics") return read_metrics(value, field);
                          if (key == "on_crash") {
                            if (auto on_crash = top_.choice<OnCrash>(
                                    value, field, {{"adopt", OnCrash::adopt}, {"restart", OnCrash::restart}}))
                              settings.on_crash = *on_crash;
                            return;
                          }
                          if (key == "socket_group") {
                            auto group = top_.scalar_text(value, field);
                            if (group && group->empty())
                              top_.field_error("bad-value", value.where, field, "must not be empty");
                            else if (group)
                              settings.socket_group = *group;
                            return;
                          }
                          auto path = top_.path(value, field, paths_);
                          if (!path) return;
                          if (key == "log_dir") {
                            settings.log_dir = path->string();
                            log_dir_where_ = value.where;
                          } else if (path->string().size() > max_socket_path) {
                            top_.field_error("bad-value", value.where, field,
                                             fmt::format("{} is {} bytes long; a Unix socket path may have at most {}",
                                                         path->string(), path->string().size(), max_socket_path));
                          } else {
                            settings.socket = path->string();
                            socket_where_ = value.where;
                          }
                        });
  }

  void read_metrics(const yaml::Node& value, const std::string& field) {
    auto text = top_.scalar_text(value, field);
    if (!text) return;
    auto parsed = parse_metrics_endpoint(*text);
    if (auto* problem = std::get_if<std::string>(&parsed))
      return top_.field_error("bad-value", value.where, field, *problem);
    auto& endpoint = manifest_.supervisor.metrics.emplace(std::get<MetricsEndpoint>(parsed));
    metrics_where_ = value.where;
    if (!is_loopback(endpoint))
      top_.report(Severity::warning, "metrics-exposed", value.where,
                  fmt::format("field \"{}\": {} is not a loopback address: every host that reaches {}:{} reads "
                              "every profile's name, state and figures, without authentication",
                              field, endpoint.address, endpoint.address, endpoint.port));
  }

  // The metrics port must not be one a gateway will bind.
  void check_metrics_port() {
    const auto& endpoint = manifest_.supervisor.metrics;
    if (!endpoint || !metrics_where_) return;
    for (const auto& profile : manifest_.profiles)
      for (const auto& use : profile.ports.uses)
        if (use.range.first <= endpoint->port && endpoint->port <= use.range.last) {
          top_.field_error("port-overlap", *metrics_where_, "supervisor.metrics",
                           fmt::format("port {} is in the {} {} of profile \"{}\"", endpoint->port, use.name,
                                       use.range.first == use.range.last
                                           ? std::to_string(use.range.first)
                                           : fmt::format("{}..{}", use.range.first, use.range.last),
                                       profile.name));
          return;
        }
  }

  void read_defaults(const yaml::Node& node, Profile& defaults) {
    const FieldReader reader(out_, "", "defaults.", "");
    SettingsTarget target{defaults, {}};
    std::vector<std::string_view> keys = shared_setting_keys;
    keys.insert(keys.end(), profile_only_keys.begin(), profile_only_keys.end());
    keys.push_back("rollout");
    read_account(node, reader, target);
    const std::optional<Environment> account_env = account_environment(defaults, env_);
    const PathContext paths = account_env ? PathContext{*account_env, paths_.base_dir} : paths_;
    top_.for_each_field(node, "defaults", keys, [&](const std::string& key, const yaml::Entry& entry) {
      if (key == "rollout") return read_rollout(*entry.value, reader);
      if (std::find(profile_only_keys.begin(), profile_only_keys.end(), key) != profile_only_keys.end()) {
        reader.error("unknown-key", entry.key->where,
                     fmt::format("field \"{}\" cannot be set in defaults: every profile needs its own; set it in "
                                 "each profile",
                                 reader.full_name(key)));
        return;
      }
      read_shared_setting(key, *entry.value, reader, paths, target);
    });
    check_settings(target, reader);
    if (target.set_here.count("env_file")) check_env_file(defaults, reader);
  }

  // The fleet's, not a profile's: set only in defaults.
  void read_rollout(const yaml::Node& node, const FieldReader& reader) {
    RolloutSettings rollout;
    reader.for_each_field(node, "rollout", {"deadline", "require_ready", "keep_backups"},
                          [&](const std::string& key, const yaml::Entry& entry) {
                            const std::string field = "rollout." + key;
                            const yaml::Node& value = *entry.value;
                            if (key == "deadline") {
                              auto deadline = reader.duration(value, field);
                              if (deadline && deadline->count() == 0)
                                reader.field_error("bad-value", value.where, field, "must be longer than 0");
                              else if (deadline)
                                rollout.deadline = deadline;
                            } else if (key == "require_ready") {
                              if (auto ready = reader.boolean(value, field)) rollout.require_ready = *ready;
                            } else if (auto kept = reader.integer(value, field, 1, 1000)) {
                              rollout.keep_backups = static_cast<int>(*kept);
                            }
                          });
    manifest_.rollout = rollout;
  }

  void read_profiles(const yaml::Node& node, const Profile& defaults) {
    if (node.kind == yaml::Node::Kind::null || (node.kind == yaml::Node::Kind::mapping && node.entries.empty())) {
      top_.field_error("empty-profiles", node.where, "profiles", "is empty; a fleet needs at least one profile");
      return;
    }
    if (!top_.expect_mapping(node, "profiles", "a mapping of profile names to profiles") ||
        !top_.within_limit(node, "profiles", max_profiles))
      return;
    for (const yaml::Entry& entry : node.entries) {
      if (entry.key->kind != yaml::Node::Kind::scalar) {
        top_.field_error("bad-profile-name", entry.key->where, "profiles",
                         fmt::format("profile names must be plain names, got {}", FieldReader::describe(*entry.key)));
        continue;
      }
      ProfileDraft draft = read_profile(entry, defaults, paths_, out_);
      // Unless its own entry says otherwise, a rescue profile is protected (below), whatever defaults say.
      if (draft.profile.role == Role::rescue && !draft.set_here.contains("limits.oom_score_adj")) {
        draft.profile.limits.oom_score_adj.reset();
        draft.profile.field_locations.erase("limits.oom_score_adj");
      }
      if (draft.valid_name) manifest_.profiles.push_back(resolve_profile(std::move(draft), env_, out_));
    }
    protect_rescue_profiles(manifest_.profiles);
  }

  const Environment& env_;
  Diagnostics& out_;
  PathContext paths_;
  FieldReader top_;
  Manifest manifest_;
  std::optional<SourceLocation> socket_where_, log_dir_where_;  // unset: defaulted
  std::optional<SourceLocation> metrics_where_;
};

// Compiler order for the manifest's own diagnostics; those located in other files (gateway
// config files) follow, in the order they were found, which is profile order.
void sort_by_position(Diagnostics& diagnostics, const std::string& path) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    const bool a_here = a.where.file == path, b_here = b.where.file == path;
    if (a_here != b_here) return a_here;
    if (!a_here) return false;
    return std::tie(a.where.line, a.where.column) < std::tie(b.where.line, b.where.column);
  });
}

}  // namespace

LoadResult load_manifest(const std::string& path, const Environment& env) {
  TextFile file = read_small_file(path, max_manifest_bytes);
  if (!file.text) {
    LoadResult result;
    result.file_error = fmt::format("{}: {}", path, file.error);
    return result;
  }
  return load_manifest_text(*file.text, path, env);
}

LoadResult load_manifest_text(const std::string& text, const std::string& path, const Environment& env) {
  LoadResult result;
  result.text = text;
  if (text.size() > max_manifest_bytes) {
    result.file_error = fmt::format("{}: is larger than {}", path, describe_size(max_manifest_bytes));
    return result;
  }
  if (auto reason = non_text_reason(text)) {
    result.file_error = fmt::format("{}: not a text file ({})", path, *reason);
    return result;
  }
  if (!has_content(text)) {
    result.file_error = fmt::format("{}: is empty (no settings, only blank lines or comments)", path);
    return result;
  }
  yaml::Document document = yaml::parse(text, path);
  result.diagnostics = std::move(document.diagnostics);
  if (!document.root) return result;
  if (document.root->kind == yaml::Node::Kind::null) {
    result.file_error = fmt::format("{}: is empty (the YAML document has no settings)", path);
    return result;
  }
  result.manifest = ManifestReader(path, env, result.diagnostics).read(*document.root);
  sort_by_position(result.diagnostics, path);
  return result;
}

}  // namespace moltbot::config
