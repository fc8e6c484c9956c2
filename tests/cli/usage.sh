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
# A missing name: exit 2 and one wording whatever the command, the cause
# first and the name last, without the library's function names.
for cmd in "get missing" "get missing -w 1" "rm missing" "info missing" \
    "sem missing value" "sem missing acquire"; do
    # shellcheck disable=SC2086 # the words of cmd are its arguments
    err=$(xsipc $cmd 2>&1 >/dev/null)
    check "$cmd exits 2" 2 $?
    check "$cmd says" "xsipc: ${cmd%% *}: no such name: \"missing\"" "$err"
done
err=$(xsipc sem '' value --create 1 2>&1)
check "sem --create with a bad name exits 2" 2 $?
check "with the handle's error" "xsipc: sem: empty key" "$err"
long=$(printf '%0300d' 0 | tr 0 a)
err=$(xsipc sem "$long" release --create 1 2>&1)
check "sem --create with a name too long exits 2" 2 $?
case $err in
"xsipc: sem: the key's file name would be "*" bytes, over NAME_MAX (255): key \"aaa"*"aaa\"")
    echo "ok: and says why" ;;
*)
    echo "FAIL: sem --create with a name too long: '$err'" >&2
    fail=1
    ;;
esac
check "error messages name no library function" "" \
    "$(xsipc get "$long" 2>&1 | grep -o 'xsipc_[a-z_]*')"
"$XSIPC_BIN" -r "$dir/nonexistent" ls 2>/dev/null
check "ls of a missing registry exits 2" 2 $?

# The empty registry: the headings only.
xsipc ls >"$dir/out"
check_file "ls of an empty registry" "$srcdir/tests/cli/ls-empty.expected" \
    "$dir/out"
check "ls -n of an empty registry" "" "$(xsipc ls -n)"
check "limits lists nine resources" 9 "$(xsipc limits -n | wc -l)"
exit $fail
