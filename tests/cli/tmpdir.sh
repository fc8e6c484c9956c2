#!/bin/sh
# SPDX-License-Identifier: MIT
# tmpdir.sh -- the xsipc command in Qt's directory ($TMPDIR, no -r): a
# $TMPDIR that names no directory is refused (exit 2, the reason on
# stderr), never replaced by /tmp; create and put of a persistent segment
# there note what Qt 6.6+ does to it, and stay quiet in a registry of
# one's own (-r).
. "${top_srcdir:-.}/tests/cli/lib.sh"

# The command without -r: Qt's directory, from $TMPDIR.
qtdir() { "$XSIPC_BIN" "$@"; }

note='xsipc: note: a Qt 6.6+ program'"'"'s failed create() of "noted" removes this segment while nothing is attached; see xsipc(1)'

err=$(qtdir create noted 4K 2>&1)
check "create in Qt's directory" 0 $?
check "notes what Qt 6.6+ does" "$note" "$err"
err=$(printf 'hi' | qtdir put noted 2>&1)
check "put into it" 0 $?
check "makes nothing: no note" "" "$err"
err=$(printf 'hi' | qtdir put putnote 2>&1)
check "put that creates, in Qt's directory" 0 $?
check "notes it too" "$(echo "$note" | sed 's/"noted"/"putnote"/')" "$err"

err=$(xsipc create own 4K 2>&1)
check "create with -r" 0 $?
check "no note with -r" "" "$err"
err=$(printf 'hi' | xsipc put ownput 2>&1)
check "put with -r" 0 $?
check "no note for put with -r" "" "$err"

# says WHAT HEAD PATH TAIL ACTUAL: ACTUAL is HEAD PATH TAIL, PATH shortened
# in the middle ("...") when the message would be too long for the
# library's 256 bytes (a long $TMPDIR, as make check-as -t long gives).
says() {
    case $5 in
    "$2$3$4") check "$1" ok ok ;;
    "$2"*...*"$4") check "$1 (shortened)" ok ok ;;
    *) check "$1" "$2$3$4" "$5" ;;
    esac
}

# A missing $TMPDIR: Qt would put its key files in /; xsipc refuses.
missing=$dir/missing
for cmd in "ls" "create gone 4K" "get gone" "key gone --create" "rm gone"; do
    # shellcheck disable=SC2086
    err=$(TMPDIR=$missing "$XSIPC_BIN" $cmd 2>&1 </dev/null)
    check "$cmd with a missing TMPDIR exits 2" 2 $?
    says "$cmd says why" "xsipc: ${cmd%% *}: TMPDIR=" "$missing" \
        " names no directory; Qt would put its key files in /" "$err"
done
err=$(printf 'hi' | TMPDIR=$missing "$XSIPC_BIN" put gone 2>&1)
check "put with a missing TMPDIR exits 2" 2 $?
says "put says why" "xsipc: put: TMPDIR=" "$missing" \
    " names no directory; Qt would put its key files in /" "$err"
check "nothing in /tmp" "" "$(ls /tmp | grep '^qipc_.*gone')"
check "nothing in /" "" "$(ls / | grep '^qipc_.*gone')"

# A file: Qt would look under it, and fail.
: >"$dir/file"
err=$(TMPDIR=$dir/file "$XSIPC_BIN" ls 2>&1)
check "ls with TMPDIR a file exits 2" 2 $?
# (The paths may be shortened in the middle: a long $TMPDIR.)
case $err in
"xsipc: ls: TMPDIR="*" names no directory; Qt would look for its key files under the file "*", and fail")
    check "and says why" "" "" ;;
*) check "and says why" "xsipc: ls: TMPDIR=$dir/file names no directory; Qt would look for its key files under the file $dir/file, and fail" "$err" ;;
esac

# An own registry does not care about $TMPDIR.
TMPDIR=$missing "$XSIPC_BIN" -r "$dir" ls -n >/dev/null
check "-r with a missing TMPDIR" 0 $?
exit $fail
