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
# Linked into the programs (CMakeLists.txt), so not needed on the host.
for library in libstdc++6 libsystemd0 libfmt libspdlog libyaml-cpp libboost-filesystem; do
  grep -q "\b$library" <<<"$depends" && fail "Depends names $library, which is linked in statically"
done
grep -q -- '-dev\b' <<<"$depends" && fail "Depends names a -dev package"

# Files: programs, every unit in systemd/ (system ones in /lib, user ones in /usr/lib), the
# example manifest as a conffile, docs.
files="$(dpkg-deb -c "$deb" | awk '{print $6}')"
for program in moltbot-supervisord moltbot-supervisorctl moltbot-gateway; do
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
check="$("$root/usr/bin/moltbot-supervisord" check "$root/etc/moltbot/fleet.yaml.example")" ||
  fail "check of the installed example exited $?"
[ "$check" = "$root/etc/moltbot/fleet.yaml.example: 2 profiles, no conflicts" ] || fail "check printed \"$check\""
"$root/usr/bin/moltbot-supervisorctl" --help >/dev/null || fail "moltbot-supervisorctl --help exited $?"
"$root/usr/bin/moltbot-gateway" --help | grep -q '^usage: moltbot-gateway' || fail "moltbot-gateway --help"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "package OK"
