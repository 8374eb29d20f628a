#!/usr/bin/env bash
# Installs the Debian packages that building and testing moltbot-supervisord needs, and the npm
# packages of the export validator (tests/export, into tests/export/node_modules: project-local).
# Idempotent: asks apt only for what is missing and npm only when the pinned versions are not
# there, so a second run is a no-op.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  build-essential cmake ninja-build ccache
  libboost-dev libboost-filesystem-dev
  libyaml-cpp-dev libfmt-dev libspdlog-dev
  catch2 nlohmann-json3-dev libcli11-dev
  libsqlite3-dev libarchive-dev  # the gateway's state database; backups (tar + zstd through libarchive)
  sqlite3  # bench/backup_bench: `sqlite3 .backup`, the baseline a backup is measured against
  procps iproute2 curl
  dpkg-dev file  # cpack's .deb: dpkg-shlibdeps computes Depends, file finds the binaries
  clang-14 libclang-rt-14-dev  # the fuzz targets (tests/fuzz): clang++-14 and libFuzzer's runtime
  tmux  # `moltbot-supervisorctl top` is tested in a real terminal (send-keys, capture-pane)
  prometheus  # promtool checks /metrics and the alert rules; the opt-in test scrapes with a real server
  nodejs  # tests/export/validate_objects.mjs checks `moltbot-supervisord export` against the Kubernetes schemas
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Debian's nodejs comes without npm (NodeSource's brings its own).
if ! command -v npm >/dev/null; then missing+=(npm); fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The validator's npm packages, exactly as pinned in package-lock.json.
validator="$here/tests/export"
wanted="$(node -p 'require(process.argv[1]).packages["node_modules/kubernetes-models"].version' "$validator/package-lock.json")"
have="$(node -p 'require(process.argv[1]).version' "$validator/node_modules/kubernetes-models/package.json" 2>/dev/null || true)"
if [ "$have" = "$wanted" ] && [ -d "$validator/node_modules/yaml" ]; then
  echo "install-deps: export validator packages present (kubernetes-models $have)"
else
  echo "install-deps: installing the export validator's npm packages into $validator/node_modules"
  npm ci --prefix "$validator" --no-audit --no-fund --loglevel=error
fi
