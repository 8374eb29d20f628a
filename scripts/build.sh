#!/usr/bin/env bash
# Installs dependencies and builds the release tree in build/release. Prints the binary folder.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh >&2
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
cmake --build build/release -j "$(nproc)" >&2
echo "$PWD/build/release"
