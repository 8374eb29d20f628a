#!/usr/bin/env bash
# The one test command: installs dependencies, builds a -Werror build, an ASan+UBSan build and
# the libFuzzer targets (clang), runs the whole ctest suite in the first two and a short run of
# each fuzz target (MOLTBOT_FUZZ_SECONDS, default 60; docs/fuzzing.md). Ends with ctest's summary
# of the sanitizer build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

bash scripts/install-deps.sh

jobs="$(nproc)"
# Let ccache share objects between clones in different folders (CI clones afresh each run).
export CCACHE_BASEDIR="$here" CCACHE_NOHASHDIR=true
configure_and_build() {
  local dir="$1"; shift
  cmake -S . -B "$dir" -G Ninja -DMOLTBOT_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

configure_and_build build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo
configure_and_build build/asan -DCMAKE_BUILD_TYPE=Debug -DMOLTBOT_SANITIZE=ON
CC=clang-14 CXX=clang++-14 configure_and_build build/fuzz -DMOLTBOT_FUZZ=ON

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
echo "== ctest: release build =="
ctest --test-dir build/release --output-on-failure -j "$jobs" --timeout 300
echo "== ctest: fuzz targets, ${MOLTBOT_FUZZ_SECONDS:-60} s each =="
ctest --test-dir build/fuzz --output-on-failure -j 2
echo "== ctest: ASan+UBSan build =="
# The real OpenClaw gateway (when installed) is exercised once, in the release run: under the
# sanitizers it would test Node.js, not our code.
ctest --test-dir build/asan --output-on-failure -j "$jobs" --timeout 600 --label-exclude real-gateway
