#pragma once
// Typed reading of manifest fields. Every problem becomes one diagnostic naming the field and
// pointing at the offending node; reading goes on, so one run reports everything.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "moltbot/common/environment.h"
#include "moltbot/config/diagnostic.h"
#include "yaml_tree.h"

namespace moltbot::config::loader {

// Bounds no real fleet comes near. They keep a hostile manifest, even within the 4 MiB file limit,
// from making the loader copy huge defaults into thousands of profiles.
inline constexpr std::size_t max_list_entries = 1000;  // command, health.command, exit codes, env
inline constexpr std::size_t max_profiles = 1000;      // each needs 100+ ports of 65535

// What relative paths, "~" and ${VAR} in the manifest resolve against.
struct PathContext {
  const Environment& env;
  std::filesystem::path base_dir;  // the manifest's folder
};

class FieldReader {
 public:
  // Messages read `<subject>field "<prefix><field>": <problem>`; `profile` goes to
  // Diagnostic::profile. E.g. subject `profile "main": ` with an empty prefix, or an empty
  // subject with prefix "defaults.".
  FieldReader(Diagnostics& out, std::string subject, std::string field_prefix, std::string profile);

  // The same subject and profile, fields nested one level deeper: nested("restart") reads
  // "restart.policy" when asked for "policy".
  FieldReader nested(std::string_view field) const;

  // `field` is relative to this reader; the message is prefixed with the subject and field name.
  void field_error(std::string code, const SourceLocation& where, std::string_view field, std::string_view problem,
                   std::vector<RelatedNote> related = {}) const;
  // A message about the subject itself (prefixed with the subject only).
  void error(std::string code, const SourceLocation& where, std::string_view message,
             std::vector<RelatedNote> related = {}) const;
  // The same with another severity: a warning or a note, which leave the manifest valid.
  void report(Severity severity, std::string code, const SourceLocation& where, std::string_view message,
              std::vector<RelatedNote> related = {}) const;

  // "restart.policy" for "policy" in a reader nested at "restart" (without the subject).
  std::string full_name(std::string_view field) const;

  using FieldHandler = std::function<void(const std::string& key, const yaml::Entry& entry)>;
  // Calls `handle` for each key of `mapping` found in `known`. Reports a non-mapping (wrong-type),
  // keys that are not plain strings, and unknown keys with a did-you-mean. `field` names the
  // mapping itself ("" for the subject).
  void for_each_field(const yaml::Node& mapping, std::string_view field, const std::vector<std::string_view>& known,
                      const FieldHandler& handle) const;

  bool expect_mapping(const yaml::Node& node, std::string_view field, std::string_view what) const;
  std::optional<long long> integer(const yaml::Node& node, std::string_view field, long long min, long long max) const;
  std::optional<int> port(const yaml::Node& node, std::string_view field) const;
  std::optional<double> number(const yaml::Node& node, std::string_view field, double min, double max) const;
  std::optional<bool> boolean(const yaml::Node& node, std::string_view field) const;
  // Any scalar, as written (numbers and booleans included: command arguments, env values).
  std::optional<std::string> scalar_text(const yaml::Node& node, std::string_view field) const;
  // A non-empty list of at most max_list_entries scalars.
  std::optional<std::vector<std::string>> string_list(const yaml::Node& node, std::string_view field) const;
  std::optional<std::chrono::milliseconds> duration(const yaml::Node& node, std::string_view field) const;
  // Expanded and normalised (bad-path on an empty path or an undefined ${VAR}).
  std::optional<std::filesystem::path> path(const yaml::Node& node, std::string_view field,
                                            const PathContext& context) const;

  template <class Value>
  std::optional<Value> choice(const yaml::Node& node, std::string_view field,
                              const std::vector<std::pair<std::string_view, Value>>& options) const {
    auto text = scalar_text(node, field);
    if (!text) return std::nullopt;
    std::vector<std::string_view> names;
    for (const auto& [name, value] : options) {
      if (name == *text) return value;
      names.push_back(name);
    }
    unknown_choice(node, field, *text, names);
    return std::nullopt;
  }

  // "string \"abc\"", "1.5", "a list", "a mapping", "nothing" for wrong-type messages.
  static std::string describe(const yaml::Node& node);

  // bad-value when `node` (a list or mapping) has more than `limit` entries.
  bool within_limit(const yaml::Node& node, std::string_view field, std::size_t limit) const;

 private:
  void wrong_type(const yaml::Node& node, std::string_view field, std::string_view expected) const;
  void unknown_choice(const yaml::Node& node, std::string_view field, const std::string& text,
                      const std::vector<std::string_view>& names) const;

  Diagnostics* out_;
  std::string subject_;
  std::string field_prefix_;
  std::string profile_;
};

}  // namespace moltbot::config::loader
