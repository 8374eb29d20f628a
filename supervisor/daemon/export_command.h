#pragma once
// `moltbot-supervisord export --format kubernetes|podman|podman-secret [--namespace NS]
// [--image IMAGE] [--storage SIZE] [--profile NAME] MANIFEST`: the manifest is checked as by
// `check` (same diagnostics, same exit statuses), then printed as the target's objects
// (docs/kubernetes.md). The objects go to `out`, diagnostics to `err`.
#include <ostream>
#include <string>

#include "moltbot/common/environment.h"

namespace moltbot::daemon {

struct ExportCommandOptions {
  std::string manifest_path;
  std::string format = "kubernetes";  // kubernetes, podman or podman-secret
  std::string namespace_name;         // empty: none
  std::string image;
  std::string storage = "1Gi";
  std::string profile;  // podman-secret: whose secret
};

int run_export(const ExportCommandOptions& options, const Environment& env, std::ostream& out, std::ostream& err);

}  // namespace moltbot::daemon
