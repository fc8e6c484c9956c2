#!/bin/sh
# SPDX-License-Identifier: MIT
# usage.sh -- xsipc's usage errors exit 1 with the "Try" line, failures
# exit 2 with an "xsipc: " message, --help and -V, and the empty listing.
. "${top_srcdir:-.}/tests/cli/lib.sh"

# usage_error ARGS...: must exit 1, say "xsipc: ..." and the Try line.
usage_error() {
    err=$(xsipc "$@" 2>&1 >/dev/null)
    rc=$?
    check "xsipc $* exits 1" 1 "$rc"
    case $err in
    "xsipc: "*"Try 'xsipc --help' for more information.") ;;
    *)
        echo "FAIL: xsipc $*: message '$err'" >&2
        fail=1
        ;;
    esac
}

usage_error
usage_error bogus
usage_error --bogus
usage_error ls --bogus
usage_error ls extra
usage_error ls -o NAME,NOPE
usage_error key
usage_error info
usage_error create x
usage_error create x 12Q
usage_error create x 4096 --mode 0777
usage_error put
usage_error put a b c
usage_error get
usage_error get -o
usage_error rm
usage_error gc now
usage_error lock
usage_error lock name
usage_error lock name -w abc -- true
usage_error sem
usage_error sem name frobnicate
usage_error sem name release 0
usage_error sem name acquire --create -1
usage_error limits extra
out=$("$XSIPC_BIN" --bogus 2>&1 >/dev/null)
check "--bogus exits 1" 1 $?

"$XSIPC_BIN" --help >"$dir/help"
check "--help exits 0" 0 $?
check "--help starts with Usage:" "Usage:" "$(head -n 1 "$dir/help")"
check "--help has Options:" 1 "$(grep -c '^Options:$' "$dir/help")"
check "--help ends with the man page" "For more details see xsipc(1)." \
    "$(tail -n 1 "$dir/help")"
check "-V" "xsipc" "$("$XSIPC_BIN" -V | cut -d' ' -f1)"

# Failures: exit 2 and a message.
err=$(xsipc get missing 2>&1 >/dev/null)
check "get of a missing name exits 2" 2 $?
check "its message" "xsipc: get:" "$(echo "$err" | cut -c1-11)"
xsipc rm missing 2>/dev/null
check "rm of a missing name exits 2" 2 $?
xsipc info missing 2>/dev/null
check "info of a missing name exits 2" 2 $?
xsipc sem missing value 2>/dev/null
check "sem value of a missing name exits 2" 2 $?
"$XSIPC_BIN" -r "$dir/nonexistent" ls 2>/dev/null
check "ls of a missing registry exits 2" 2 $?

# The empty registry: the headings only.
xsipc ls >"$dir/out"
check_file "ls of an empty registry" "$srcdir/tests/cli/ls-empty.expected" \
    "$dir/out"
check "ls -n of an empty registry" "" "$(xsipc ls -n)"
check "limits lists nine resources" 9 "$(xsipc limits -n | wc -l)"
exit $fail
