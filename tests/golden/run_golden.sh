#!/usr/bin/env bash
# One golden case: runs the real `moltbot-supervisord check` on tests/golden/NAME.yaml, once
# plain and once with --json, plus once per line of NAME.args (extra flags), and compares the
# transcript (output and exit status of each run) with NAME.expected.
#
# Each run happens in a fresh temporary folder holding NAME.yaml and the contents of NAME.d/ (if
# any), with HOME=<that folder>/home and an otherwise empty environment; the folder's path is
# written as <tmp> in the transcript, so expected files do not depend on the machine. Run as root,
# the check runs as nobody, on files it owns: a root check adds a runs-as-root warning per profile
# (tests/unit/test_load_users.cpp covers it), and the transcript must not depend on who runs it.
#
# Regenerate after an intended change, then review the diff:
#   MOLTBOT_GOLDEN_UPDATE=1 ctest --test-dir BUILD -R '^golden:'
#
# usage: run_golden.sh SUPERVISORD_BINARY GOLDEN_DIR NAME
set -euo pipefail
binary="$1" golden_dir="$2" name="$3"

work="$(mktemp -d "${TMPDIR:-/tmp}/moltbot-golden-XXXXXX")"
work="$(cd "$work" && pwd -P)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/home"
cp "$golden_dir/$name.yaml" "$work/"
if [ -d "$golden_dir/$name.d" ]; then cp -R "$golden_dir/$name.d/." "$work/"; fi
# Env files hold secrets, and check refuses one others may read (git keeps no mode 0600).
find "$work" -name "*.env" -exec chmod 600 {} +

arg_sets=("" "--json")
if [ -f "$golden_dir/$name.args" ]; then
  while IFS= read -r line; do [ -n "$line" ] && arg_sets+=("$line"); done < "$golden_dir/$name.args"
fi

as_user=()
if [ "$(id -u)" = 0 ]; then
  chown -R nobody:nogroup "$work"
  chmod 755 "$work"
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi

sanitizer_env=()
for variable in ASAN_OPTIONS UBSAN_OPTIONS; do
  if [ -n "${!variable:-}" ]; then sanitizer_env+=("$variable=${!variable}"); fi
done

transcript() {
  local args status
  for args in "${arg_sets[@]}"; do
    echo "\$ moltbot-supervisord check ${args:+$args }$name.yaml"
    status=0
    # shellcheck disable=SC2086  # each line of NAME.args is split into flags on purpose
    (cd "$work" && env -i HOME="$work/home" PATH=/usr/bin:/bin "${sanitizer_env[@]}" \
      timeout 30 "${as_user[@]}" "$binary" check $args "$name.yaml") 2>&1 || status=$?
    echo "[exit $status]"
  done
}

actual="$(transcript | sed "s|$work|<tmp>|g")"
expected_file="$golden_dir/$name.expected"
if [ "${MOLTBOT_GOLDEN_UPDATE:-}" = 1 ]; then
  printf '%s\n' "$actual" > "$expected_file"
  echo "golden: wrote $expected_file"
  exit 0
fi
if [ ! -f "$expected_file" ]; then
  echo "golden: $expected_file is missing; create it with MOLTBOT_GOLDEN_UPDATE=1" >&2
  exit 1
fi
diff -u --label "$name.expected" --label "actual" "$expected_file" <(printf '%s\n' "$actual")
