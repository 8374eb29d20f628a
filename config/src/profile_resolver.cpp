#include "profile_resolver.h"

#include <unistd.h>

#include <fmt/format.h>

#include "env_file_mode.h"
#include "exec_size.h"
#include "gateway_config_file.h"
#include "gateway_port_check.h"
#include "moltbot/common/env_file.h"
#include "moltbot/common/paths.h"
#include "moltbot/config/child_environment.h"
#include "other_layout_state.h"
#include "port_footprint.h"
#include "setting_defaults.h"

namespace moltbot::config::loader {
namespace {

std::string shown(int port) { return std::to_string(port); }
std::string shown(const PortRange& range) { return fmt::format("{}..{}", range.first, range.last); }
std::string shown(const std::string& text) { return text; }

bool same(int a, int b) { return a == b; }
bool same(const PortRange& a, const PortRange& b) { return a.first == b.first && a.last == b.last; }
bool same(const std::string& a, const std::string& b) { return a == b; }

class ProfileResolver {
 public:
  ProfileResolver(ProfileDraft& draft, const Environment& env, Diagnostics& out)
      : draft_(draft),
        profile_(draft.profile),
        env_(draft.account_env ? *draft.account_env : env),
        home_(home_directory(env_)),
        reader_(out, fmt::format("profile \"{}\": ", draft.profile.name), "", draft.profile.name) {}

  Profile resolve() {
    default_paths();
    apply_setting_defaults(profile_);
    if (draft_.set_here.count("env_file")) check_env_file(profile_, reader_);
    if (draft_.port) profile_.ports.gateway = draft_.port->value;
    const Environment child_env = child_environment(profile_, env_).env;
    GatewayConfigFile file;
    if (!profile_.config_path.empty()) file = read_gateway_config(profile_.config_path);
    if (file.exists) apply_gateway_config(file, child_env);
    keep_pins();
    if (draft_.port) profile_.ports = derive_ports(*draft_.port, draft_.pins);
    if (draft_.port && file.exists) check_gateway_port(profile_, *draft_.port, file, home_, reader_);
    check_exec_size(profile_, env_, reader_);
    return std::move(profile_);
  }

 private:
  // A path the manifest sets but that could not be resolved stays empty rather than silently
  // becoming the default.
  void default_paths() {
    const auto wanted = [&](const std::string& path, const char* field) {
      return path.empty() && !draft_.bad_paths.count(field);
    };
    const auto cannot_derive = [&](const char* field) {
      reader_.error("bad-path", profile_.where,
                    fmt::format("cannot derive the default {0}: HOME is not set (set {0})", field));
    };
    const Layout layout = profile_.layout;
    if (wanted(profile_.state_dir, "state_dir")) {
      if (home_) {
        profile_.state_dir = normalise_path(default_state_dir(*home_, profile_.name, layout)).string();
        note_other_layout_state(profile_, *home_, reader_);
      } else {
        cannot_derive("state_dir");
      }
    }
    if (wanted(profile_.config_path, "config_path") && !profile_.state_dir.empty())
      profile_.config_path = normalise_path(default_config_path(profile_.state_dir, layout)).string();
    if (wanted(profile_.workspace, "workspace")) {
      // The openclaw layout's workspace lies in the state dir, the clawdbot layout's in HOME.
      const bool derivable = layout == Layout::openclaw ? !profile_.state_dir.empty() : home_.has_value();
      if (derivable)
        profile_.workspace = normalise_path(default_workspace(home_.value_or(std::filesystem::path()),
                                                              profile_.state_dir, profile_.name, profile_.role, layout))
                                 .string();
      else if (!home_)
        cannot_derive("workspace");
    }
  }

  void config_problem(const ConfigProblem& problem) {
    reader_.error("gateway-config-invalid", problem.where,
                  fmt::format("gateway config file {}: {}", profile_.config_path, problem.message),
                  {RelatedNote{fmt::format("profile \"{}\" uses this config file", profile_.name),
                               profile_.location_of("config_path")}});
  }

  // The file's value is what the child uses; a different manifest value is an error.
  template <class Value>
  void merge(std::optional<Pinned<Value>>& manifest, const std::optional<Pinned<Value>>& file, const std::string& field,
             const std::string& file_key) {
    if (!file) return;
    if (manifest && !same(manifest->value, file->value)) {
      reader_.field_error("config-contradiction", manifest->where, field,
                          fmt::format("{} contradicts {} = {} in {}, which the gateway uses", shown(manifest->value),
                                      file_key, shown(file->value), profile_.config_path),
                          {RelatedNote{fmt::format("{} is set here", file_key), file->where}});
    } else if (manifest) {
      return;  // the same value: the manifest is the place to point at
    }
    if (!manifest) profile_.field_locations[field] = file->where;
    manifest = file;
  }

  void merge_browser_profile(const BrowserProfilePins& file) {
    const std::string field = "browser.profiles." + file.name;
    const std::string file_key = "browser.profiles." + file.name;
    BrowserProfilePins* manifest = draft_.pins.find_browser_profile(file.name);
    if (!manifest) {
      draft_.pins.browser_profiles.push_back(file);
      profile_.field_locations[field] = file.where;
      if (file.cdp_port) profile_.field_locations[field + ".cdp_port"] = file.cdp_port->where;
      if (file.cdp_url) profile_.field_locations[field + ".cdp_url"] = file.cdp_url->where;
      return;
    }
    // cdp_port and cdp_url are two ways to say where the browser is: one replaces the other.
    const auto crossed = [&](const auto& mine, const char* my_key, const auto& theirs, const char* their_key) {
      if (!mine || !theirs) return;
      reader_.field_error("config-contradiction", mine->where, field + "." + my_key,
                          fmt::format("{} contradicts {}.{} = {} in {}, which the gateway uses", shown(mine->value),
                                      file_key, their_key, shown(theirs->value), profile_.config_path),
                          {RelatedNote{fmt::format("{}.{} is set here", file_key, their_key), theirs->where}});
    };
    crossed(manifest->cdp_port, "cdp_port", file.cdp_url, "cdpUrl");
    crossed(manifest->cdp_url, "cdp_url", file.cdp_port, "cdpPort");
    if (file.cdp_url) manifest->cdp_port.reset();
    if (file.cdp_port) manifest->cdp_url.reset();
    merge(manifest->cdp_port, file.cdp_port, field + ".cdp_port", file_key + ".cdpPort");
    merge(manifest->cdp_url, file.cdp_url, field + ".cdp_url", file_key + ".cdpUrl");
  }

  void merge_workspace(const Pinned<std::string>& written, const Environment& child_env) {
    // The gateway resolves it itself: "~" and ${VAR} with its environment, relative to its
    // working directory, the state dir.
    ExpandedPath path = expand_path(written.value, child_env, profile_.state_dir);
    if (!path.path) {
      config_problem(ConfigProblem{"agents.defaults.workspace: " + path.error, written.where});
      return;
    }
    const std::string workspace = path.path->string();
    if (draft_.set_here.count("workspace") && workspace != profile_.workspace) {
      reader_.field_error("config-contradiction", profile_.location_of("workspace"), "workspace",
                          fmt::format("{} contradicts agents.defaults.workspace = {} in {}, which the gateway uses",
                                      profile_.workspace, workspace, profile_.config_path),
                          {RelatedNote{"agents.defaults.workspace is set here", written.where}});
    } else if (!draft_.set_here.count("workspace")) {
      profile_.field_locations["workspace"] = written.where;
    }
    profile_.workspace = workspace;
  }

  void add_credentials(const std::vector<WrittenCredential>& written, const Environment& child_env) {
    for (const WrittenCredential& credential : written) {
      ExpandedText value = expand_variables(credential.value, child_env);
      const std::string key =
          credential.account.empty()
              ? fmt::format("channels.{}.{}", credential.channel, credential.field)
              : fmt::format("channels.{}.accounts.{}.{}", credential.channel, credential.account, credential.field);
      if (!value.text) {
        config_problem(
            ConfigProblem{fmt::format("{}: {} in the gateway's environment", key, value.error), credential.where});
        continue;
      }
      profile_.credentials.push_back(
          ChannelCredential{credential.channel, credential.account, credential.field, std::move(*value.text)});
    }
  }

  void apply_gateway_config(const GatewayConfigFile& file, const Environment& child_env) {
    for (const ConfigProblem& problem : file.problems) config_problem(problem);
    PortPins& pins = draft_.pins;
    merge(pins.browser_control, file.ports.browser_control, "browser.control_port", "browser.controlPort");
    merge(pins.canvas, file.ports.canvas, "canvas_port", "canvasHost.port");
    merge(pins.cdp_range, file.ports.cdp_range, "browser.cdp_port_range", "browser.cdpPortRangeStart");
    for (const BrowserProfilePins& browser : file.ports.browser_profiles) merge_browser_profile(browser);
    if (!profile_.field_locations.count("browser") && !file.ports.browser_profiles.empty())
      profile_.field_locations["browser"] = file.ports.browser_profiles.front().where;
    if (file.workspace) merge_workspace(*file.workspace, child_env);
    add_credentials(file.credentials, child_env);
  }

  // What the manifest and the config file pin, merged, for a config file the supervisor creates.
  void keep_pins() {
    const auto value_of = [](const auto& pin) { return pin ? std::optional(pin->value) : std::nullopt; };
    const PortPins& pins = draft_.pins;
    profile_.pinned_ports = {value_of(pins.browser_control), value_of(pins.canvas), value_of(pins.cdp_range)};
    for (const BrowserProfilePins& browser : pins.browser_profiles) {
      profile_.browser_profiles.push_back({browser.name, value_of(browser.cdp_port), value_of(browser.cdp_url)});
      if (browser.cdp_url) profile_.cdp_urls.push_back(browser.cdp_url->value);
    }
  }

  ProfileDraft& draft_;
  Profile& profile_;
  const Environment& env_;
  const std::optional<std::filesystem::path> home_;
  FieldReader reader_;
};

}  // namespace

Profile resolve_profile(ProfileDraft draft, const Environment& env, Diagnostics& out) {
  return ProfileResolver(draft, env, out).resolve();
}

void check_env_file(const Profile& profile, const FieldReader& reader) {
  if (!profile.env_file) return;
  const SourceLocation& where = profile.location_of("env_file");
  check_env_file_mode(*profile.env_file, where, reader, ::geteuid() == 0);
  EnvFile file = read_env_file(*profile.env_file);
  if (file.error) {
    reader.field_error("env-file-unreadable", where, "env_file", *file.error);
    return;
  }
  for (const EnvFileEntry& entry : file.entries)
    if (is_profile_identity_variable(entry.name))
      reader.field_error("bad-value", where, "env_file",
                         fmt::format("{}:{}: {} {}", *profile.env_file, entry.line, entry.name,
                                     identity_variable_advice(entry.name)));
}

}  // namespace moltbot::config::loader
