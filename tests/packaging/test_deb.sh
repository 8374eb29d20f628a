#!/usr/bin/env bash
# Builds the .deb of a build folder with cpack, checks its control fields and file list with
# dpkg-deb, then unpacks it into a scratch root and runs the installed programs from there.
#   test_deb.sh BUILD_DIR SOURCE_DIR VERSION
set -euo pipefail
build="$1" source="$2" version="$3"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/moltbot-deb-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
expect_line() {  # expect_line TEXT LINE WHAT: LINE is one whole line of TEXT
  grep -qxF -- "$2" <<<"$1" || fail "$3: no line \"$2\""
}

cpack --config "$build/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1 || {
  cat "$scratch/cpack.log" >&2
  exit 1
}
deb="$(echo "$scratch"/out/moltbot-supervisord_"$version"_*.deb)"
[ -f "$deb" ] || { ls -l "$scratch/out" >&2; echo "FAIL: no moltbot-supervisord_${version}_*.deb" >&2; exit 1; }
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"

# Control fields: the name and version, and Depends computed from the libraries really linked.
[ "$(dpkg-deb -f "$deb" Package)" = moltbot-supervisord ] || fail "Package field"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version field"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture field"
[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "no Maintainer"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
grep -q '\blibc6' <<<"$depends" || fail "Depends lacks libc6"
grep -q '\badduser\b' <<<"$depends" || fail "Depends lacks adduser (postinst makes the gateways' users)"
# moltbot-backup's libarchive is shared (its compressors have no archives in Debian); SQLite is linked in.
grep -q '\blibarchive13\b' <<<"$depends" || fail "Depends lacks libarchive13 (moltbot-backup)"
grep -q '\blibsqlite3' <<<"$depends" && fail "Depends names libsqlite3, which is linked in statically"
# Linked into the programs (CMakeLists.txt), so not needed on the host.
for library in libstdc++6 libsystemd0 libfmt libspdlog libyaml-cpp libboost-filesystem; do
  grep -q "\b$library" <<<"$depends" && fail "Depends names $library, which is linked in statically"
done
grep -q -- '-dev\b' <<<"$depends" && fail "Depends names a -dev package"

# Files: programs, every unit in systemd/ (system ones in /lib, user ones in /usr/lib), the
# example manifest as a conffile, docs.
files="$(dpkg-deb -c "$deb" | awk '{print $6}')"
for program in moltbot-supervisord moltbot-supervisorctl moltbot-gateway moltbot-backup; do
  expect_line "$files" "./usr/bin/$program" "file list"
done
units=0
for unit in "$source"/systemd/*.service; do
  [ -e "$unit" ] || continue
  expect_line "$files" "./lib/systemd/system/$(basename "$unit")" "file list"
  units=$((units + 1))
done
for unit in "$source"/systemd/user/*.service; do
  [ -e "$unit" ] || continue
  expect_line "$files" "./usr/lib/systemd/user/$(basename "$unit")" "file list"
  units=$((units + 1))
done
echo "units in systemd/: $units"
expect_line "$files" "./etc/moltbot/fleet.yaml.example" "file list"
expect_line "$files" "./usr/share/doc/moltbot-supervisord/README.md" "file list"
mkdir "$scratch/control"
dpkg-deb -e "$deb" "$scratch/control"
expect_line "$(cat "$scratch/control/conffiles")" "/etc/moltbot/fleet.yaml.example" "conffiles"
for script in postinst prerm postrm; do
  [ -x "$scratch/control/$script" ] || fail "no executable $script"
  sh -n "$scratch/control/$script" || fail "$script is not valid sh"
done

# The unpacked programs run, and the installed example manifest checks clean.
root="$scratch/root"
dpkg-deb -x "$deb" "$root"
version_line="$("$root/usr/bin/moltbot-supervisord" --version)"
[ "$version_line" = "moltbot-supervisord $version" ] || fail "--version printed \"$version_line\""
# It runs its gateways as the users postinst creates: on a host without them, the two errors that
# say so and nothing else.
example="$root/etc/moltbot/fleet.yaml.example"
status=0
check="$("$root/usr/bin/moltbot-supervisord" check "$example")" || status=$?
if getent passwd moltbot >/dev/null && getent passwd moltbot-rescue >/dev/null; then
  [ "$status" = 0 ] && [ "$check" = "$example: 2 profiles, no conflicts" ] ||
    fail "check exited $status and printed \"$check\""
else
  [ "$status" = 1 ] || fail "check without the users exited $status"
  for account in moltbot moltbot-rescue; do
    grep -q "error\[unknown-user\]: .*no user \"$account\" on this host" <<<"$check" ||
      fail "check without the users did not name $account: $check"
  done
  [ "$(grep -c error <<<"$check")" = 3 ] || fail "check without the users printed more: $check"  # + "2 errors"
fi
"$root/usr/bin/moltbot-supervisorctl" --help >/dev/null || fail "moltbot-supervisorctl --help exited $?"
"$root/usr/bin/moltbot-gateway" --help | grep -q '^usage: moltbot-gateway' || fail "moltbot-gateway --help"
"$root/usr/bin/moltbot-backup" --help | grep -q 'moltbot-backup' || fail "moltbot-backup --help"

# The packaged postinst on upgrade, with systemctl and moltbot-supervisorctl replaced by scripts
# that log their arguments, and /run/systemd/system by a scratch folder. A perl process listening
# on a Unix socket stands in for a running supervisor (MainPID): postinst must find its socket.
fake="$scratch/fake" log="$scratch/calls.log"
mkdir -p "$fake/bin" "$fake/run-systemd"
cat >"$fake/bin/systemctl" <<FAKE
#!/bin/sh
echo "systemctl \$*" >>"$log"
case "\$1" in
  list-units) cat "$fake/active-units" 2>/dev/null ;;
  show) for unit; do :; done; cat "$fake/pid-\$unit" 2>/dev/null || echo 0 ;;
esac
exit 0
FAKE
cat >"$fake/bin/moltbot-supervisorctl" <<FAKE
#!/bin/sh
echo "moltbot-supervisorctl \$*" >>"$log"
exit \$(cat "$fake/ctl-status")
FAKE
# The accounts exist unless $fake/no-accounts does; adduser only logs.
cat >"$fake/bin/getent" <<FAKE
#!/bin/sh
[ ! -e "$fake/no-accounts" ]
FAKE
cat >"$fake/bin/adduser" <<FAKE
#!/bin/sh
echo "adduser \$*" >>"$log"
FAKE
chmod +x "$fake/bin/systemctl" "$fake/bin/moltbot-supervisorctl" "$fake/bin/getent" "$fake/bin/adduser"
sed "s|/run/systemd/system|$fake/run-systemd|g" "$scratch/control/postinst" >"$fake/postinst"
perl -MIO::Socket::UNIX -e 'my $listener = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 1) or die "$!";
  sleep 300' "$fake/control.sock" &
listener=$!
sleep 300 &
no_socket=$!
trap 'kill "$listener" "$no_socket" 2>/dev/null; rm -rf "$scratch"' EXIT
for _ in $(seq 100); do [ -S "$fake/control.sock" ] && break; sleep 0.05; done
echo "$listener" >"$fake/pid-moltbot-supervisord.service"
echo "$no_socket" >"$fake/pid-moltbot-supervisord@rescue.service"

postinst() {  # postinst ACTIVE_UNITS CTL_STATUS ARGS...: the calls it made, one per line
  printf '%s' "$1" >"$fake/active-units"
  echo "$2" >"$fake/ctl-status"
  shift 2
  : >"$log"
  PATH="$fake/bin:$PATH" sh "$fake/postinst" "$@" >/dev/null 2>&1 || fail "postinst $* exited $?"
  cat "$log"
}
active_main="moltbot-supervisord.service loaded active running Moltbot gateway fleet supervisor
"
calls="$(postinst "$active_main" 0 configure)"
[ "$calls" = "systemctl --system daemon-reload" ] || fail "fresh install: calls were \"$calls\""
touch "$fake/no-accounts"
calls="$(postinst "$active_main" 0 configure)"
expected="adduser --system --group --home /var/lib/moltbot --gecos Moltbot gateway moltbot
adduser --system --group --home /var/lib/moltbot-rescue --gecos Moltbot gateway moltbot-rescue
systemctl --system daemon-reload"
[ "$calls" = "$expected" ] || fail "fresh install without the users: calls were \"$calls\""
rm "$fake/no-accounts"
echo "postinst: the gateways' system users made once"
calls="$(postinst "$active_main" 0 configure 0.9.0)"
expect_line "$calls" "moltbot-supervisorctl --socket $fake/control.sock reexec" "upgrade, active"
grep -q restart <<<"$calls" && fail "upgrade with a working reexec restarted: $calls"
calls="$(postinst "$active_main" 1 configure 0.9.0)"
expect_line "$calls" "systemctl restart moltbot-supervisord.service" "upgrade, reexec failed"
calls="$(postinst "" 0 configure 0.9.0)"
grep -q -e restart -e moltbot-supervisorctl <<<"$calls" && fail "upgrade, nothing active: calls were $calls"
calls="$(postinst "moltbot-supervisord@rescue.service loaded active running x
" 0 configure 0.9.0)"
grep -q moltbot-supervisorctl <<<"$calls" && fail "a supervisor without a control socket was sent a request"
expect_line "$calls" "systemctl restart moltbot-supervisord@rescue.service" "upgrade, no control socket"
rmdir "$fake/run-systemd"
calls="$(postinst "$active_main" 0 configure 0.9.0)"
[ -z "$calls" ] || fail "without systemd: calls were \"$calls\""
echo "postinst on upgrade: reexec, restart only as the fallback"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "package OK"
