// libFuzzer target: the manifest loader, the cross-profile validator and every rendering of
// their result, the way `moltbot-supervisord check` (with --json and --ports) runs them. At exit
// it reports the process's peak RSS (getrusage), which a hostile manifest must not drive up (a
// deep one once took check to 980 MB before being refused).
//
// The input is a file on disk because the loader reads files: the bytes up to the first NUL go to
// fleet.yaml, the bytes after it (if any) to side-file next to it, which a manifest can name as
// an env_file or config_path to reach the env-file and gateway-config readers. A NUL cannot occur
// in a valid manifest, so no manifest is lost by the split.
#include <sys/resource.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "moltbot/common/environment.h"
#include "moltbot/config/check_manifest.h"
#include "moltbot/config/render.h"
#include "moltbot/test/temp_dir.h"

namespace {

using namespace moltbot;

// One folder per process, removed at exit, with HOME inside it so nothing outside is read
// through "~".
struct Workspace {
  test::TempDir dir{"moltbot-fuzz-manifest"};
  std::filesystem::path manifest = dir.path() / "fleet.yaml";
  std::filesystem::path side_file = dir.path() / "side-file";
  Environment env{{"HOME", (dir.path() / "home").string()},
                  {"PATH", "/usr/bin:/bin"},
                  {"FUZZ_TOKEN", "123456:AAH-fuzz-secret"}};

  Workspace() {
    std::filesystem::create_directory(dir.path() / "home");
    std::atexit(report_peak_rss);
  }

  static void report_peak_rss() {
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0)
      std::fprintf(stderr, "fuzz_manifest: peak RSS %ld MiB (getrusage ru_maxrss)\n", usage.ru_maxrss / 1024);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Workspace workspace;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  workspace.dir.write(workspace.manifest.filename(), input.substr(0, nul));
  if (nul == std::string_view::npos)
    std::filesystem::remove(workspace.side_file);
  else
    workspace.dir.write(workspace.side_file.filename(), input.substr(nul + 1));

  const config::CheckedManifest checked = config::check_manifest(workspace.manifest.string(), workspace.env);
  if (checked.file_error) {
    config::render_text(*checked.file_error);
    config::render_json({*checked.file_error});
    return 0;
  }
  const config::Manifest* manifest = checked.manifest ? &*checked.manifest : nullptr;
  config::render_text(checked.diagnostics);
  config::render_json(checked.diagnostics);
  config::render_ports_json(checked.diagnostics, manifest);
  if (manifest) config::render_port_table(*manifest);
  return 0;
}
