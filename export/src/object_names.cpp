#include "object_names.h"

#include <algorithm>

namespace moltbot::fleet_export {
namespace {

// A StatefulSet's name plus the controller's "-<hash>" suffix must fit a 63-character label value.
constexpr std::size_t max_object_name = 52;

bool lowercase_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string object_name(const config::Profile& profile) { return "moltbot-" + profile.name; }

std::string secret_name(const config::Profile& profile) { return object_name(profile) + "-env"; }

const char* role_name(moltbot::Role role) { return role == moltbot::Role::rescue ? "rescue" : "main"; }

std::string priority_class_name(moltbot::Role role) { return std::string("moltbot-") + role_name(role); }

std::optional<std::string> object_name_problem(const config::Profile& profile) {
  const std::string name = object_name(profile);
  const bool allowed = std::all_of(name.begin(), name.end(), [](char c) { return lowercase_alnum(c) || c == '-'; });
  if (!allowed || !lowercase_alnum(name.back()))
    return "\"" + name + "\" is not a Kubernetes object name (lowercase letters, digits and '-', ending in a "
           "letter or digit); rename the profile";
  if (name.size() > max_object_name)
    return "\"" + name + "\" is longer than " + std::to_string(max_object_name) +
           " characters, the most a StatefulSet name may have; rename the profile";
  return std::nullopt;
}

Object selector_labels(const config::Profile& profile) {
  return {{name_label, gateway_app}, {instance_label, object_name(profile)}};
}

Object labels(const config::Profile& profile) {
  Object result = selector_labels(profile);
  result[component_label] = role_name(profile.role);
  return result;
}

Object object_metadata(const std::string& name, const config::Profile& profile, const ExportOptions& options) {
  Object metadata{{"name", name}};
  if (options.namespace_name) metadata["namespace"] = *options.namespace_name;
  metadata["labels"] = labels(profile);
  return metadata;
}

}  // namespace moltbot::fleet_export
