#!/bin/bash
# Usage: verify_units.sh UNIT_DIR BIN_DIR
# `systemd-analyze verify` on the shipped units (UNIT_DIR: system units, UNIT_DIR/user: user units).
# verify insists that the programs of ExecStart= and ExecReload= (moltbot-supervisord,
# moltbot-supervisorctl) exist, so each unit is copied into a scratch dir with
# /usr/bin/moltbot-* pointed at BIN_DIR. verify only warns about unknown or misspelt keys, so any
# output at all is a failure. Exit 77 (skipped) when systemd-analyze is missing or cannot verify
# even a trivial unit here.
set -euo pipefail
units=$1
bin=$(cd "$2" && pwd)  # unit files want absolute paths

if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze not found: skipped"
  exit 77
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/system" "$scratch/user" "$scratch/runtime" "$scratch/probe"

# Prints what verify said; fails when it failed or said anything.
verify() {
  local output
  if ! output=$("$@" 2>&1) || [[ -n $output ]]; then
    printf '%s\n' "$output"
    return 1
  fi
}

printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' > "$scratch/probe/probe.service"
if ! (cd "$scratch/probe" && verify systemd-analyze verify probe.service); then
  echo "systemd-analyze cannot verify units on this machine: skipped"
  exit 77
fi

copy_units() {  # FROM TO
  for unit in "$1"/*.service; do
    grep -q "^ExecStart=/usr/bin/moltbot-supervisord " "$unit" || { echo "$unit: ExecStart is not /usr/bin/moltbot-supervisord"; exit 1; }
    sed "s|/usr/bin/moltbot-|$bin/moltbot-|g" "$unit" > "$2/${unit##*/}"
  done
}
copy_units "$units" "$scratch/system"
copy_units "$units/user" "$scratch/user"

status=0
# The template is verified through an instance, as systemd would load it.
(cd "$scratch/system" && verify systemd-analyze verify moltbot-supervisord.service moltbot-supervisord@rescue.service) || status=1
(cd "$scratch/user" && XDG_RUNTIME_DIR="$scratch/runtime" verify systemd-analyze --user verify moltbot-supervisord.service) || status=1

# The template differs from the main unit only in what names the instance.
instance_free() { grep -v -e '^#' -e '^Description=' -e '^ExecStart=' -e '^RuntimeDirectory=' "$1"; }
if ! diff <(instance_free "$units/moltbot-supervisord.service") <(instance_free "$units/moltbot-supervisord@.service"); then
  echo "moltbot-supervisord@.service has drifted from moltbot-supervisord.service (diff above)"
  status=1
fi
exit $status
