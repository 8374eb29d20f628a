#include "moltbot/config/check_manifest.h"

#include <unistd.h>

#include <algorithm>

#include "moltbot/config/load.h"
#include "moltbot/config/run_as.h"
#include "moltbot/config/validate.h"

namespace moltbot::config {

bool CheckedManifest::valid() const { return !file_error && manifest && !has_errors(diagnostics); }

bool CheckedManifest::runnable() const {
  return !file_error && manifest && std::all_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
           return d.severity != Severity::error || stops_one_profile(d);
         });
}

namespace {

CheckedManifest checked(const std::string& path, LoadResult loaded) {
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
  checked.text = std::move(loaded.text);
  if (checked.manifest) {
    Diagnostics found = validate(*checked.manifest);
    Diagnostics as_root = root_gateway_warnings(*checked.manifest, ::geteuid());
    found.insert(found.end(), std::make_move_iterator(as_root.begin()), std::make_move_iterator(as_root.end()));
    checked.diagnostics.insert(checked.diagnostics.end(), std::make_move_iterator(found.begin()),
                               std::make_move_iterator(found.end()));
  }
  return checked;
}

}  // namespace

CheckedManifest check_manifest(const std::string& path, const Environment& env) {
  return checked(path, load_manifest(path, env));
}

CheckedManifest check_manifest_text(const std::string& text, const std::string& path, const Environment& env) {
  return checked(path, load_manifest_text(text, path, env));
}

}  // namespace moltbot::config
