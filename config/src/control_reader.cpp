#include "control_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "moltbot/common/host_accounts.h"
#include "moltbot/common/spelling.h"

namespace moltbot::config::loader {
namespace {

bool contains(const auto& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

class GrantReader {
 public:
  GrantReader(const FieldReader& reader, const std::vector<Profile>& profiles) : reader_(reader), profiles_(profiles) {}

  // One entry of the list; std::nullopt when anything in it is wrong (each problem reported).
  std::optional<ControlGrant> read(const yaml::Node& node, const std::string& field) {
    ControlGrant grant;
    bool ok = true;
    const yaml::Node* profiles = nullptr;
    const yaml::Node* commands = nullptr;
    std::vector<const yaml::Entry*> who;
    reader_.for_each_field(node, field, {"user", "group", "profiles", "commands"},
                           [&](const std::string& key, const yaml::Entry& entry) {
                             if (key == "profiles") profiles = entry.value.get();
                             if (key == "commands") commands = entry.value.get();
                             if (key == "user" || key == "group") who.push_back(&entry);
                           });
    if (node.kind != yaml::Node::Kind::mapping) return std::nullopt;  // reported
    if (who.size() != 1) {
      const auto& where = who.empty() ? node.where : who[1]->key->where;
      reader_.field_error(who.empty() ? "missing-field" : "bad-value", where, field,
                          "a grant names exactly one `user` or one `group` (a grant for both is two grants)");
      ok = false;
    } else {
      ok = read_who(*who.front(), field, grant) && ok;
    }
    if (!profiles) {
      reader_.field_error("missing-field", node.where, field,
                          "missing field \"profiles\" (a list of profiles, or all)");
      ok = false;
    } else {
      ok = read_profiles(*profiles, field + ".profiles", grant) && ok;
    }
    if (!commands) {
      reader_.field_error("missing-field", node.where, field,
                          fmt::format("missing field \"commands\" (a list of {})", grantable_list()));
      ok = false;
    } else {
      ok = read_commands(*commands, field + ".commands", grant) && ok;
    }
    if (!ok) return std::nullopt;
    return grant;
  }

 private:
  bool read_who(const yaml::Entry& entry, const std::string& grant_field, ControlGrant& grant) {
    const std::string& kind = entry.key->value;
    const std::string field = grant_field + "." + kind;
    auto name = reader_.scalar_text(*entry.value, field);
    if (!name) return false;
    if (name->empty()) {
      reader_.field_error("bad-value", entry.value->where, field, "must not be empty");
      return false;
    }
    if (kind == "user") {
      grant.uid = user_id(*name);
      if (!grant.uid)
        reader_.field_error("unknown-account", entry.value->where, field,
                            fmt::format("no user \"{}\" on this host", *name));
    } else {
      grant.gid = group_id(*name);
      if (!grant.gid)
        reader_.field_error("unknown-account", entry.value->where, field,
                            fmt::format("no group \"{}\" on this host", *name));
    }
    grant.who = kind + " " + *name;
    return grant.uid || grant.gid;
  }

  bool read_profiles(const yaml::Node& node, const std::string& field, ControlGrant& grant) {
    if (node.kind == yaml::Node::Kind::scalar && node.value == "all") {
      grant.all_profiles = true;
      return true;
    }
    if (node.kind != yaml::Node::Kind::sequence) {
      reader_.field_error("wrong-type", node.where, field,
                          fmt::format("expected a list of profiles or all, got {}", FieldReader::describe(node)));
      return false;
    }
    auto names = reader_.string_list(node, field);
    if (!names) return false;
    std::vector<std::string_view> known;
    for (const Profile& profile : profiles_) known.push_back(profile.name);
    bool ok = true;
    for (std::size_t i = 0; i < names->size(); ++i) {
      const std::string& name = (*names)[i];
      if (contains(known, name)) continue;
      std::string problem = fmt::format("no profile \"{}\" in this manifest", name);
      if (name == "all") problem += " (`all` stands alone: profiles: all)";
      if (auto suggestion = closest_spelling(name, known))
        problem += fmt::format("; did you mean \"{}\"?", *suggestion);
      reader_.field_error("bad-value", node.items[i]->where, fmt::format("{}[{}]", field, i), problem);
      ok = false;
    }
    grant.profiles = std::move(*names);
    return ok;
  }

  bool read_commands(const yaml::Node& node, const std::string& field, ControlGrant& grant) {
    auto names = reader_.string_list(node, field);
    if (!names) return false;
    bool ok = true;
    const std::vector<std::string_view> known(grantable_commands.begin(), grantable_commands.end());
    for (std::size_t i = 0; i < names->size(); ++i) {
      const std::string& name = (*names)[i];
      if (contains(known, name)) continue;
      std::string problem;
      if (contains(never_grantable_commands, name)) {
        problem = fmt::format("\"{}\" is never grantable: it acts on the whole supervisor, which only root, the "
                              "supervisor's user and socket_group may do",
                              name);
      } else {
        problem = fmt::format("unknown command \"{}\" (grantable: {})", name, grantable_list());
        if (auto suggestion = closest_spelling(name, known))
          problem += fmt::format("; did you mean \"{}\"?", *suggestion);
      }
      reader_.field_error("bad-value", node.items[i]->where, fmt::format("{}[{}]", field, i), problem);
      ok = false;
    }
    grant.commands = std::move(*names);
    return ok;
  }

  static std::string grantable_list() {
    std::string list;
    for (std::string_view name : grantable_commands) list += (list.empty() ? "" : ", ") + std::string(name);
    return list;
  }

  const FieldReader& reader_;
  const std::vector<Profile>& profiles_;
};

}  // namespace

std::vector<ControlGrant> read_control(const yaml::Node& node, const FieldReader& reader,
                                       const std::vector<Profile>& profiles) {
  std::vector<ControlGrant> grants;
  reader.for_each_field(node, "control", {"grants"}, [&](const std::string&, const yaml::Entry& entry) {
    const yaml::Node& list = *entry.value;
    if (list.kind != yaml::Node::Kind::sequence) {
      reader.field_error("wrong-type", list.where, "control.grants",
                         fmt::format("expected a list of grants, got {}", FieldReader::describe(list)));
      return;
    }
    if (!reader.within_limit(list, "control.grants", max_list_entries)) return;
    GrantReader grant_reader(reader, profiles);
    for (std::size_t i = 0; i < list.items.size(); ++i)
      if (auto grant = grant_reader.read(*list.items[i], fmt::format("control.grants[{}]", i)))
        grants.push_back(std::move(*grant));
  });
  return grants;
}

}  // namespace moltbot::config::loader
