#include "moltbot/config/check_manifest.h"

#include "moltbot/config/load.h"
#include "moltbot/config/validate.h"

namespace moltbot::config {

bool CheckedManifest::valid() const { return !file_error && manifest && !has_errors(diagnostics); }

CheckedManifest check_manifest(const std::string& path, const Environment& env) {
  LoadResult loaded = load_manifest(path, env);
  CheckedManifest checked;
  if (loaded.file_error) {
    // The loader names the file ("PATH: reason"); the diagnostic carries PATH as its location.
    const std::string prefix = path + ": ";
    const std::string& error = *loaded.file_error;
    Diagnostic diagnostic;
    diagnostic.message = error.starts_with(prefix) ? error.substr(prefix.size()) : error;
    diagnostic.where.file = path;
    checked.file_error = std::move(diagnostic);
    return checked;
  }
  checked.diagnostics = std::move(loaded.diagnostics);
  checked.manifest = std::move(loaded.manifest);
  if (checked.manifest) {
    Diagnostics found = validate(*checked.manifest);
    checked.diagnostics.insert(checked.diagnostics.end(), std::make_move_iterator(found.begin()),
                               std::make_move_iterator(found.end()));
  }
  return checked;
}

}  // namespace moltbot::config
