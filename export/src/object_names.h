#pragma once
// Names and labels of a profile's objects. Every object of profile NAME is `moltbot-NAME`
// (its Secret `moltbot-NAME-env`); the labels below are what Services select and what the
// rescue profile's anti-affinity keeps away from.
#include <optional>
#include <string>

#include "moltbot/config/manifest.h"
#include "moltbot/export/export_fleet.h"

namespace moltbot::fleet_export {

inline constexpr char name_label[] = "app.kubernetes.io/name";
inline constexpr char instance_label[] = "app.kubernetes.io/instance";
inline constexpr char component_label[] = "app.kubernetes.io/component";  // main or rescue
inline constexpr char gateway_app[] = "moltbot-gateway";

std::string object_name(const config::Profile& profile);
std::string secret_name(const config::Profile& profile);
std::string priority_class_name(moltbot::Role role);
const char* role_name(moltbot::Role role);

// Why `moltbot-NAME` is no valid object name (uppercase, '_', too long...), or nothing.
std::optional<std::string> object_name_problem(const config::Profile& profile);

// {name, instance}: what selects exactly this profile's pod.
Object selector_labels(const config::Profile& profile);
// The selector's labels and the role.
Object labels(const config::Profile& profile);

// {name, namespace (when given), labels}.
Object object_metadata(const std::string& name, const config::Profile& profile, const ExportOptions& options);

}  // namespace moltbot::fleet_export
