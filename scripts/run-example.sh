#!/usr/bin/env bash
# From a fresh clone to a running fleet: installs dependencies, builds, checks the example manifest
# (printing its port map) and runs it in the foreground. Ctrl-C stops every gateway cleanly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
manifest="${1:-examples/fleet.yaml}"
bin="$(bash scripts/build.sh)/bin"
"$bin/moltbot-supervisord" check --ports "$manifest"
exec "$bin/moltbot-supervisord" --manifest "$manifest"
