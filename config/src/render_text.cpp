#include <fmt/format.h>

#include "moltbot/config/render.h"

namespace moltbot::config {
namespace {

std::string location_text(const SourceLocation& where) {
  if (where.line <= 0) return where.file;
  return fmt::format("{}:{}:{}", where.file, where.line, where.column);
}

const char* severity_word(Severity severity) {
  switch (severity) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "error";
}

std::string plural(std::size_t count, const char* noun) {
  return fmt::format("{} {}{}", count, noun, count == 1 ? "" : "s");
}

}  // namespace

std::string render_text(const Diagnostic& diagnostic) {
  const std::string code = diagnostic.code.empty() ? "" : fmt::format("[{}]", diagnostic.code);
  std::string text = fmt::format("{}: {}{}: {}\n", location_text(diagnostic.where),
                                 severity_word(diagnostic.severity), code, diagnostic.message);
  for (const RelatedNote& note : diagnostic.related)
    text += fmt::format("{}: note: {}\n", location_text(note.where), note.message);
  return text;
}

std::string render_text(const Diagnostics& diagnostics) {
  if (diagnostics.empty()) return {};
  std::string text;
  std::size_t errors = 0;
  std::size_t warnings = 0;
  for (const Diagnostic& diagnostic : diagnostics) {
    text += render_text(diagnostic);
    errors += diagnostic.severity == Severity::error;
    warnings += diagnostic.severity == Severity::warning;
  }
  text += plural(errors, "error");
  if (warnings > 0) text += ", " + plural(warnings, "warning");
  return text + "\n";
}

}  // namespace moltbot::config
