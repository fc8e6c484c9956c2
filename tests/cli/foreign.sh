#!/bin/sh
# SPDX-License-Identifier: MIT
# foreign.sh -- another user's entries, as root sees them: ls lists them
# by their recorded names with the objects at their keys, FOREIGN; info
# finds one by its name and says it is shown read-only; gc and rm leave
# them.  Needs root and setpriv (util-linux) to act as uid 65534.
. "${top_srcdir:-.}/tests/cli/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root, to list another user's entries"
command -v setpriv >/dev/null 2>&1 || skip "needs setpriv (util-linux)"
as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups -- "$XSIPC_BIN" \
        -r "$dir" "$@"
}
chmod 1777 "$dir" || exit 99
as_nobody ls -n >/dev/null 2>&1 ||
    skip "uid 65534 cannot reach $dir (a TMPDIR others may not search)"
# The other user's entry goes as that user, whatever happened.
trap 'as_nobody rm theirs >/dev/null 2>&1; cleanup' EXIT

as_nobody create theirs 4K
check "uid 65534 creates theirs" 0 $?

# The object at its key, as the kernel gives it (the id masked after).
key=$(xsipc ls -n -o KEY | tr -d ' ')
id=$(awk -v k="$(printf '%d' "$key")" 'NR > 1 && $1 == k {print $2}' \
    /proc/sysvipc/shm)
out=$(xsipc ls -n -o NAME,KIND,ID,SIZE,NATTCH,OWNER,PERMS,STATUS | tr -s ' ')
check "ls as root" "theirs shm $id 4K 0 nobody rw------- foreign" "$out"
out=$(xsipc ls -o NAME,OWNER,STATUS)
check "ls's heading" "NAME   OWNER  STATUS
theirs nobody foreign" "$out"

# Volatile: the key, the id, the creator's pid, the key file's path, times.
mask() {
    sed -e 's/0x[0-9a-f]\{8\}/0xKEY/g' -e "s|$dir|DIR|g" \
        -e 's/^\(ID: *\)[0-9]*$/\1N/' -e 's/^\(Creator: *\)[0-9]*$/\1N/' \
        -e 's/^\(Created: *\).*/\1DATE/'
}

out=$(xsipc info theirs 2>&1 | mask)
check "info as root" "Name:        theirs
Kind:        shm (segment)
Key file:    DIR/qipc_sharedmemory_theirs$(printf theirs | sha1sum | cut -c1-40)
Key:         0xKEY (proj 81)
Status:      foreign, persistent
Problem:     the key file is owned by uid 65534, another user
Note:        another user's entry, shown read-only: gc and rm leave it
Owner:       nobody (65534)
Creator:     N
Created:     DATE
ID:          N
Perms:       rw------- (0600)
Size:        4096 bytes (4K)
Attached:    0" "$out"

xsipc gc >/dev/null 2>&1
xsipc rm theirs >/dev/null 2>&1
check "rm as root refuses" 2 $?
out=$(xsipc ls -n -o NAME,SIZE,STATUS | tr -s ' ')
check "gc and rm left it" "theirs 4K foreign" "$out"

as_nobody rm theirs
check "uid 65534 removes theirs" 0 $?
check "nothing left" "" "$(xsipc ls -n)"
exit $fail
