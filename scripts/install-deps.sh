#!/usr/bin/env bash
# Installs the Debian packages that building and testing moltbot-supervisord needs.
# Idempotent: asks apt only for what is missing, so a second run is a no-op.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache
  libboost-dev libboost-filesystem-dev
  libyaml-cpp-dev libfmt-dev libspdlog-dev
  catch2 nlohmann-json3-dev libcli11-dev
  procps iproute2 curl
  dpkg-dev file  # cpack's .deb: dpkg-shlibdeps computes Depends, file finds the binaries
  clang-14 libclang-rt-14-dev  # the fuzz targets (tests/fuzz): clang++-14 and libFuzzer's runtime
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
