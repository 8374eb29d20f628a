#pragma once
// Loading manifests in tests: each fixture is a fresh folder holding the manifest, with HOME set
// to its "home" subfolder so the real user's ~/.clawdbot-* is never read.
#include <string>
#include <string_view>

#include "moltbot/common/environment.h"
#include "moltbot/config/load.h"
#include "moltbot/test/temp_dir.h"

namespace moltbot::test {

class ManifestFixture {
 public:
  ManifestFixture();

  const std::filesystem::path& root() const { return dir_.path(); }
  std::filesystem::path home() const { return dir_.path() / "home"; }
  std::string manifest_path() const { return (dir_.path() / "fleet.yaml").string(); }

  // Writes `relative` under root() (the manifest's folder).
  std::filesystem::path write(const std::filesystem::path& relative, std::string_view content) const {
    return dir_.write(relative, content);
  }
  std::filesystem::path write_private(const std::filesystem::path& relative, std::string_view content) const {
    return dir_.write_private(relative, content);
  }

  // Writes fleet.yaml and loads it. A leading newline of `yaml` is dropped, so raw strings can
  // start on the next source line and still have the manifest's line 1 first.
  config::LoadResult load(std::string_view yaml) const;

  Environment env;  // HOME=home(); tests add what they need

 private:
  TempDir dir_;
};

// "12:5 error[code]: message" per diagnostic, for failure messages.
std::string listing(const config::Diagnostics& diagnostics);

// Checks a diagnostic's code, line, column, message and severity (in the manifest or any file).
void check_at(const config::Diagnostic& d, const std::string& code, int line, int column, const std::string& message,
              config::Severity severity = config::Severity::error);

// Requires exactly one diagnostic and returns it.
const config::Diagnostic& only_diagnostic(const config::LoadResult& result);

// Requires a clean load (no file error, no diagnostics) and returns the manifest.
const config::Manifest& clean_manifest(const config::LoadResult& result);

}  // namespace moltbot::test
