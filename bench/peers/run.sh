#!/usr/bin/env bash
# moltbot-supervisord against Debian's supervisord and s6 and npm's PM2: the same fleet of N
# loopback TCP children under each; prints one table, writes it as markdown and draws a chart.
#
# Usage: bench/peers/run.sh [--build-dir DIR] [peers.py options]
#   e.g. bench/peers/run.sh --ns 10 --idle-seconds 5 --kills 5     (a quick development run)
#        bench/peers/run.sh                                         (the full run: 10,100,500)
# Installs what is missing (idempotent): supervisor, s6, gnuplot-nox (apt), pm2 (npm, into
# BUILD/peers-tools, not the repository or the system's node_modules); configures BUILD (default
# build/peers) if needed and builds moltbot-supervisord and tcp_child in it. Results go to
# BUILD/peers-results/, the chart to docs/benchmarks-peers.png. Run as root or with sudo.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$repo/build/peers"
if [ "${1:-}" = "--build-dir" ]; then
  build="$(realpath -m "$2")"
  shift 2
fi
pm2_version="7.0.4"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in supervisor s6 gnuplot-nox; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "peers: installing ${missing[*]}" >&2
  # On a systemd host, installing `supervisor` also enables and starts the system's own
  # supervisord (with an empty program list); the bench never talks to it.
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

tools="$build/peers-tools"
pm2="$tools/node_modules/.bin/pm2"
# pm2 --version would spawn a daemon in ~/.pm2: read the version from its package.json instead.
if ! grep -q "\"version\": \"$pm2_version\"" "$tools/node_modules/pm2/package.json" 2>/dev/null; then
  echo "peers: installing pm2@$pm2_version into $tools" >&2
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent "pm2@$pm2_version" >&2
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
fi
cmake --build "$build" -j "$(nproc)" --target moltbot-supervisord tcp_child >&2

exec python3 "$repo/bench/peers/peers.py" \
  --moltbot-supervisord "$build/bin/moltbot-supervisord" --tcp-child "$build/bin/tcp_child" --pm2 "$pm2" \
  --out-dir "$build/peers-results" --png "$repo/docs/benchmarks-peers.png" "$@"
