#pragma once
// What `moltbot-supervisord doctor` found on a live host: a checklist of items, each either fine
// or with findings that say what is wrong and how to fix it. Plain data plus its two renderings.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moltbot::doctor {

using Json = nlohmann::ordered_json;

// An error stops the fleet from running as the manifest says (exit status 1); a warning is worth
// a look but harmless today.
enum class Severity { warning, error };

struct Finding {
  Severity severity = Severity::error;
  std::string code;     // "port-taken", "gateway-unit", "stray-state-dir", "manifest-invalid"
  std::string message;  // what is wrong, one line
  std::string fix;      // what to do about it, one line
  Json details = Json::object();  // the finding's own fields for --json (port, pid, unit, path...)
};

struct CheckItem {
  std::string check;    // "manifest", "ports", "units", "state-dirs"
  std::string title;    // "ports of profile \"main\""
  std::string summary;  // "111 ports free", "1 of 111 ports taken"
  std::vector<Finding> findings;
  Json details = Json::object();  // the item's own fields for --json (profile, holders, searched)
};

enum class Status { ok, warning, error };

Status status_of(const CheckItem& item);

struct Checklist {
  std::string manifest;  // as the user named it
  std::vector<CheckItem> items;

  int count(Severity severity) const;
};

// "[ok]   title: summary" per item, "[FAIL]"/"[WARN]" items followed by their findings and fixes,
// then a count line. Every line ends in '\n'.
std::string render_text(const Checklist& checklist);

// {"manifest", "ok", "errors", "warnings", "checks": [{check, title, status, summary, ...,
// "findings": [{severity, code, message, fix, ...}]}]}
std::string render_json(const Checklist& checklist);

}  // namespace moltbot::doctor
