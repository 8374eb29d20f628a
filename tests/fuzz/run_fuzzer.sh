#!/usr/bin/env bash
# One bounded libFuzzer run for ctest. First replays every input that once crashed
# (regressions/NAME/), then fuzzes for MOLTBOT_FUZZ_SECONDS (default 60) from a scratch copy of
# the seed corpus (corpus/NAME/), so the repository's corpus only changes by hand. Any crash,
# leak, sanitizer report or slow input fails the run; the input that caused it is kept in
# CRASH_DIR.
#
# usage: run_fuzzer.sh FUZZER FUZZ_DIR NAME CRASH_DIR   (FUZZ_DIR is tests/fuzz)
set -euo pipefail
fuzzer="$1" fuzz_dir="$2" name="$3" crash_dir="$4"
seconds="${MOLTBOT_FUZZ_SECONDS:-60}"

work="$(mktemp -d "${TMPDIR:-/tmp}/moltbot-fuzz-XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp -R "$fuzz_dir/corpus/$name/." "$work/"
mkdir -p "$crash_dir"
prefix="$crash_dir/$(basename "$fuzzer")-"

# -timeout: one input taking longer is a bug (the daemon would stall on it). The outer timeout
# only guards against libFuzzer itself hanging.
options=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$prefix")
status=0
if compgen -G "$fuzz_dir/regressions/$name/*" >/dev/null; then
  timeout 300 "$fuzzer" "${options[@]}" "$fuzz_dir/regressions/$name"/* || status=$?
fi
if [ "$status" -eq 0 ]; then
  timeout "$((seconds + 120))" "$fuzzer" "${options[@]}" -max_total_time="$seconds" -dict="$fuzz_dir/$name.dict" \
    -print_final_stats=1 "$work" || status=$?
fi
if [ "$status" -ne 0 ]; then
  echo "run_fuzzer: $(basename "$fuzzer") failed (exit $status); reproduce with: $fuzzer ${prefix}<name>" >&2
fi
exit "$status"
