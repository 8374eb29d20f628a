#include <nlohmann/json.hpp>

#include "moltbot/common/json_string.h"
#include "moltbot/config/render.h"
#include "validate_wording.h"

namespace moltbot::config {
namespace {

using Json = nlohmann::ordered_json;

const char* severity_name(Severity severity) {
  switch (severity) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "error";
}

Json diagnostic_json(const Diagnostic& diagnostic) {
  Json related = Json::array();
  for (const RelatedNote& note : diagnostic.related)
    related.push_back({{"message", note.message},
                       {"file", note.where.file},
                       {"line", note.where.line},
                       {"column", note.where.column}});
  return {{"severity", severity_name(diagnostic.severity)},
          {"code", diagnostic.code},
          {"message", diagnostic.message},
          {"file", diagnostic.where.file},
          {"line", diagnostic.where.line},
          {"column", diagnostic.where.column},
          {"profile", diagnostic.profile.empty() ? Json(nullptr) : Json(diagnostic.profile)},
          {"related", std::move(related)}};
}

Json diagnostics_json(const Diagnostics& diagnostics) {
  Json array = Json::array();
  for (const Diagnostic& diagnostic : diagnostics) array.push_back(diagnostic_json(diagnostic));
  return array;
}

Json profile_json(const Profile& profile) {
  const ProfilePorts& ports = profile.ports;
  Json pinned = Json::array();
  for (const PortUse& use : ports.uses)
    if (wording::kind_of(use) == wording::PortKind::pinned && use.name.starts_with("CDP port"))
      pinned.push_back(use.range.first);
  return {{"name", profile.name},
          {"role", profile.role == Role::rescue ? "rescue" : "main"},
          {"ports",
           {{"gateway", ports.gateway},
            {"bridge", ports.bridge},
            {"browser_control", ports.browser_control},
            {"extension_relay", ports.extension_relay},
            {"canvas", ports.canvas},
            {"cdp_start", ports.cdp_start},
            {"cdp_end", ports.cdp_end}}},
          {"pinned_cdp_ports", std::move(pinned)},
          {"cdp_urls", profile.cdp_urls},
          {"state_dir", profile.state_dir},
          {"config_path", profile.config_path},
          {"workspace", profile.workspace}};
}

// Messages quote the user's input, which need not be UTF-8.
std::string dump(const Json& json) { return json_text(json, 2) + "\n"; }

}  // namespace

std::string render_json(const Diagnostics& diagnostics) { return dump(diagnostics_json(diagnostics)); }

std::string render_ports_json(const Diagnostics& diagnostics, const Manifest* manifest) {
  Json profiles = Json::array();
  if (manifest)
    for (const Profile& profile : manifest->profiles) profiles.push_back(profile_json(profile));
  Json document = {{"diagnostics", diagnostics_json(diagnostics)}, {"profiles", std::move(profiles)}};
  return dump(document);
}

}  // namespace moltbot::config
