#include "profile_reader.h"

#include <fmt/format.h>

#include "account_reader.h"
#include "cdp_url.h"
#include "moltbot/common/profile_defaults.h"

namespace moltbot::config::loader {
namespace {

const std::vector<std::pair<std::string_view, Role>> roles{{"main", Role::main}, {"rescue", Role::rescue}};

std::vector<std::string_view> all_profile_keys() {
  std::vector<std::string_view> keys = profile_only_keys;
  keys.insert(keys.end(), shared_setting_keys.begin(), shared_setting_keys.end());
  return keys;
}

class ProfileReader {
 public:
  ProfileReader(ProfileDraft& draft, const FieldReader& reader, const PathContext& paths)
      : draft_(draft), profile_(draft.profile), reader_(reader), paths_(paths), target_{draft.profile, {}} {}

  void read(const yaml::Node& node) {
    read_account(node, reader_, target_);
    draft_.account_env = account_environment(profile_, paths_.env);
    if (draft_.account_env) account_paths_.emplace(PathContext{*draft_.account_env, paths_.base_dir});
    // An empty profile ("main:") is a mapping without keys: it still needs its port.
    if (node.kind != yaml::Node::Kind::null)
      reader_.for_each_field(node, "", all_profile_keys(),
                             [&](const std::string& key, const yaml::Entry& entry) { read_key(key, *entry.value); });
    if (node.kind == yaml::Node::Kind::null || (node.kind == yaml::Node::Kind::mapping && !node.find("port")))
      reader_.error("missing-field", profile_.where, "missing field \"port\" (the gateway port, e.g. 18789)");
    check_settings(target_, reader_);
    draft_.set_here = std::move(target_.set_here);
  }

 private:
  const PathContext& paths() const { return account_paths_ ? *account_paths_ : paths_; }

  void record(const std::string& field, const SourceLocation& where) { target_.record(field, where); }

  void read_key(const std::string& key, const yaml::Node& value) {
    if (key == "port") {
      if (auto port = reader_.port(value, key)) {
        draft_.port = Pinned<int>{*port, value.where};
        record(key, value.where);
      }
    } else if (key == "role") {
      if (auto role = reader_.choice(value, key, roles)) {
        profile_.role = *role;
        record(key, value.where);
      }
    } else if (key == "config_path" || key == "state_dir" || key == "workspace") {
      read_path(key, value);
    } else if (key == "browser") {
      read_browser(value);
    } else if (key == "canvas_port") {
      if (auto port = reader_.port(value, key)) {
        draft_.pins.canvas = Pinned<int>{*port, value.where};
        record(key, value.where);
      }
    } else {
      read_shared_setting(key, value, reader_, paths(), target_);
    }
  }

  void read_path(const std::string& key, const yaml::Node& value) {
    auto path = reader_.path(value, key, paths());
    if (!path) {
      draft_.bad_paths.insert(key);
      return;
    }
    std::string& field = key == "config_path" ? profile_.config_path
                         : key == "state_dir" ? profile_.state_dir
                                              : profile_.workspace;
    field = path->string();
    record(key, value.where);
  }

  void read_browser(const yaml::Node& node) {
    if (node.kind == yaml::Node::Kind::mapping) record("browser", node.where);
    reader_.for_each_field(node, "browser", {"control_port", "cdp_port_range", "profiles"},
                           [&](const std::string& key, const yaml::Entry& entry) {
                             if (key == "control_port") read_control_port(*entry.value);
                             if (key == "cdp_port_range") read_cdp_range(*entry.value);
                             if (key == "profiles") read_browser_profiles(*entry.value);
                           });
  }

  void read_control_port(const yaml::Node& node) {
    const std::string field = "browser.control_port";
    auto port = reader_.port(node, field);
    if (!port) return;
    draft_.pins.browser_control = Pinned<int>{*port, node.where};
    record(field, node.where);
  }

  void read_cdp_range(const yaml::Node& node) {
    const std::string field = "browser.cdp_port_range";
    if (node.kind != yaml::Node::Kind::sequence) {
      reader_.field_error("wrong-type", node.where, field,
                          fmt::format("expected [first, last], got {}", FieldReader::describe(node)));
      return;
    }
    if (node.items.size() != 2) {
      reader_.field_error("bad-value", node.where, field,
                          fmt::format("expected [first, last], got {} entries", node.items.size()));
      return;
    }
    auto first = reader_.port(*node.items[0], field + "[0]");
    auto last = reader_.port(*node.items[1], field + "[1]");
    if (!first || !last) return;
    if (*first > *last) {
      reader_.field_error("bad-value", node.where, field,
                          fmt::format("first port {} is above last port {}", *first, *last));
      return;
    }
    draft_.pins.cdp_range = Pinned<PortRange>{PortRange{*first, *last}, node.where};
    record(field, node.where);
  }

  void read_browser_profiles(const yaml::Node& node) {
    if (!reader_.expect_mapping(node, "browser.profiles", "a mapping of browser profile names") ||
        !reader_.within_limit(node, "browser.profiles", max_browser_profiles))
      return;
    for (const yaml::Entry& entry : node.entries) {
      const yaml::Node& name = *entry.key;
      if (name.kind != yaml::Node::Kind::scalar || name.value.empty()) {
        reader_.field_error(
            "wrong-type", name.where, "browser.profiles",
            fmt::format("browser profile names must be plain names, got {}", FieldReader::describe(name)));
        continue;
      }
      read_browser_profile(name.value, *entry.value);
    }
  }

  void read_browser_profile(const std::string& name, const yaml::Node& node) {
    const std::string base = "browser.profiles." + name;
    BrowserProfilePins pins{name, node.where, std::nullopt, std::nullopt};
    reader_.for_each_field(node, base, {"cdp_port", "cdp_url"}, [&](const std::string& key, const yaml::Entry& entry) {
      const std::string field = base + "." + key;
      const yaml::Node& value = *entry.value;
      if (key == "cdp_port") {
        if (auto port = reader_.port(value, field)) pins.cdp_port = Pinned<int>{*port, value.where};
      } else if (auto url = reader_.scalar_text(value, field)) {
        if (parse_cdp_url(*url))
          pins.cdp_url = Pinned<std::string>{*url, value.where};
        else
          reader_.field_error("bad-value", value.where, field,
                              fmt::format("\"{}\" is not an http(s):// or ws(s):// URL with a port 1..65535", *url));
      }
    });
    if (pins.cdp_port && pins.cdp_url) {
      reader_.field_error("bad-value", pins.cdp_url->where, base,
                          "set cdp_port or cdp_url, not both (cdp_url names a browser the gateway does not start)");
      return;
    }
    record(base, pins.where);
    if (pins.cdp_port) record(base + ".cdp_port", pins.cdp_port->where);
    if (pins.cdp_url) record(base + ".cdp_url", pins.cdp_url->where);
    draft_.pins.browser_profiles.push_back(std::move(pins));
  }

  ProfileDraft& draft_;
  Profile& profile_;
  const FieldReader& reader_;
  const PathContext& paths_;
  std::optional<PathContext> account_paths_;  // paths_ with HOME of the profile's account
  SettingsTarget target_;
};

}  // namespace

ProfileDraft read_profile(const yaml::Entry& entry, const Profile& defaults, const PathContext& paths,
                          Diagnostics& out) {
  ProfileDraft draft;
  draft.profile = defaults;
  draft.profile.name = entry.key->value;
  draft.profile.where = entry.key->where;
  const FieldReader reader(out, fmt::format("profile \"{}\": ", draft.profile.name), "", draft.profile.name);
  if (!is_valid_profile_name(draft.profile.name)) {
    draft.valid_name = false;
    out.push_back(
        Diagnostic{Severity::error,
                   "bad-profile-name",
                   fmt::format("bad profile name \"{}\": use letters, digits, '_' and '-' only", draft.profile.name),
                   draft.profile.where,
                   draft.profile.name,
                   {}});
  }
  ProfileReader(draft, reader, paths).read(*entry.value);
  return draft;
}

}  // namespace moltbot::config::loader
