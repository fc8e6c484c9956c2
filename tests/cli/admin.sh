#!/bin/sh
# SPDX-License-Identifier: MIT
# admin.sh -- the xsipc command for an admin: a key file whose record does
# not parse is named with the way to remove it, and `rm --force` removes
# it (not while an object is at its key); as root, another user's entries
# are left by `rm` and `gc`, which say so, and removed with --force.
. "${top_srcdir:-.}/tests/cli/lib.sh"

file_of() { xsipc key "$1" | awk -v k="$2" '$2 == k {print $4}'; }

# A bad record: the message names the file, the hint the way out.
xsipc key bad --create >/dev/null
f=$(file_of bad shm)
printf 'xsipc-record 1\nkind shm\nproj zz\n' >"$f"
err=$(xsipc get bad 2>&1)
check "get of a bad record exits 2" 2 $?
case $err in
*"bad record"*"$(basename "$f")"*'xsipc: hint: xsipc rm --force "bad" removes that key file when no object is at its key') r=ok ;;
*) r=$err ;;
esac
check "get names the file and the way out" ok "$r"
xsipc rm bad >/dev/null 2>&1
check "rm without --force fails" 2 $?
check "and keeps the file" yes "$( [ -e "$f" ] && echo yes)"
xsipc rm --force bad
check "rm --force removes it" 0 $?
check "the file is gone" "" "$(ls -A "$dir" | grep bad)"
check "its claim too" "" "$(ls -A "$dir")"

[ "$(id -u)" = 0 ] || skip "root as admin: not root"
command -v runuser >/dev/null 2>&1 || skip "root as admin: no runuser"
# A directory the other user can reach, whatever $TMPDIR is.
shared=$(mktemp -d /tmp/xsipc-admin-XXXXXX) || skip "no /tmp"
chmod 1777 "$shared"
other() { runuser -u nobody -- "$XSIPC_BIN" -r "$shared" "$@"; }
adm() { "$XSIPC_BIN" -r "$shared" "$@"; }
if ! other create theirs 4K 2>/dev/null; then
    rm -rf "$shared"
    skip "root as admin: nobody cannot use $shared"
fi
err=$(adm rm theirs 2>&1)
check "rm of another user's name exits 2" 2 $?
check "and says why" 'xsipc: rm: it belongs to uid 65534 (nobody); as root, xsipc rm --force removes it: "theirs"' "$err"
check "their segment stays" 1 "$(awk 'NR > 1 && $10 == 65534' /proc/sysvipc/shm | wc -l)"
adm rm --force theirs
check "rm --force removes it" 0 $?
check "their segment is gone" 0 "$(awk 'NR > 1 && $10 == 65534' /proc/sysvipc/shm | wc -l)"
check "their key files are gone" "" "$(ls -A "$shared")"
other key dead --create >/dev/null
err=$(adm gc --now 2>&1)
check "gc leaves their dead key files" 2 "$(ls "$shared" | grep -c dead)"
check "and says so" 'xsipc: gc: note: 2 entries of other users (1) left alone; as root, xsipc gc --force also removes their dead ones' "$err"
adm gc --now --force >/dev/null
check "gc --force removes them" "" "$(ls -A "$shared")"
rm -rf "$shared"
exit $fail
