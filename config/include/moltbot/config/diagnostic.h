#pragma once
// Compiler-style diagnostics (spec section 3). Every problem found in a manifest becomes one
// Diagnostic; nothing is fixed silently.
#include <string>
#include <vector>

namespace moltbot::config {

// 1-based line and column in `file`; line 0 means "the file as a whole".
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  bool operator==(const SourceLocation&) const = default;
};

enum class Severity { error, warning, note };

struct RelatedNote {
  std::string message;
  SourceLocation where;
};

struct Diagnostic {
  Severity severity = Severity::error;
  std::string code;     // stable, e.g. "port-overlap"; listed in docs/diagnostics.md
  std::string message;  // without the "error[code]: " prefix
  SourceLocation where;
  std::string profile;  // empty when not about one profile
  std::vector<RelatedNote> related;
};

using Diagnostics = std::vector<Diagnostic>;

bool has_errors(const Diagnostics& diagnostics);

// An error that keeps only its own profile from starting: a state dir or workspace other users may
// write (untrusted-dir). The supervisor runs the rest of the fleet and refuses that profile at
// each start; `check` still fails.
bool stops_one_profile(const Diagnostic& diagnostic);

}  // namespace moltbot::config
