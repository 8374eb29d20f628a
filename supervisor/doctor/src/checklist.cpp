#include "moltbot/doctor/checklist.h"

#include <fmt/format.h>

#include <algorithm>

#include "moltbot/common/json_string.h"

namespace moltbot::doctor {
namespace {

const char* text_mark(Status status) {
  switch (status) {
    case Status::ok: return "[ok]  ";
    case Status::warning: return "[WARN]";
    case Status::error: return "[FAIL]";
  }
  return "";
}

const char* status_name(Status status) {
  switch (status) {
    case Status::ok: return "ok";
    case Status::warning: return "warning";
    case Status::error: return "error";
  }
  return "";
}

const char* severity_name(Severity severity) { return severity == Severity::error ? "error" : "warning"; }

std::string counted(int count, const char* noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

Json finding_json(const Finding& finding) {
  Json json = {{"severity", severity_name(finding.severity)},
               {"code", finding.code},
               {"message", finding.message},
               {"fix", finding.fix}};
  json.update(finding.details);
  return json;
}

}  // namespace

Status status_of(const CheckItem& item) {
  Status status = Status::ok;
  for (const Finding& finding : item.findings)
    status = std::max(status, finding.severity == Severity::error ? Status::error : Status::warning);
  return status;
}

int Checklist::count(Severity severity) const {
  int total = 0;
  for (const CheckItem& item : items)
    total += static_cast<int>(std::count_if(item.findings.begin(), item.findings.end(),
                                            [&](const Finding& finding) { return finding.severity == severity; }));
  return total;
}

std::string render_text(const Checklist& checklist) {
  std::string text;
  for (const CheckItem& item : checklist.items) {
    text += fmt::format("{} {}: {}\n", text_mark(status_of(item)), item.title, item.summary);
    for (const Finding& finding : item.findings)
      text += fmt::format("       - {}\n         fix: {}\n", finding.message, finding.fix);
  }
  const int errors = checklist.count(Severity::error);
  const int warnings = checklist.count(Severity::warning);
  if (errors == 0 && warnings == 0)
    text += "no problems found\n";
  else
    text += fmt::format("{}, {}\n", counted(errors, "error"), counted(warnings, "warning"));
  return text;
}

std::string render_json(const Checklist& checklist) {
  Json checks = Json::array();
  for (const CheckItem& item : checklist.items) {
    Json check = {{"check", item.check},
                  {"title", item.title},
                  {"status", status_name(status_of(item))},
                  {"summary", item.summary}};
    check.update(item.details);
    Json findings = Json::array();
    for (const Finding& finding : item.findings) findings.push_back(finding_json(finding));
    check["findings"] = std::move(findings);
    checks.push_back(std::move(check));
  }
  const int errors = checklist.count(Severity::error);
  Json document = {{"manifest", checklist.manifest},
                   {"ok", errors == 0},
                   {"errors", errors},
                   {"warnings", checklist.count(Severity::warning)},
                   {"checks", std::move(checks)}};
  return json_text(document, 2) + "\n";
}

}  // namespace moltbot::doctor
