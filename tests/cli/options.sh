#!/bin/sh
# SPDX-License-Identifier: MIT
# options.sh -- every command's --help (Usage:, Options:, the man page,
# exit 0, on stdout), options before and after NAME in both forms, and
# the strict parsing of seconds, counts and sizes.
. "${top_srcdir:-.}/tests/cli/lib.sh"

for cmd in key ls info create put get rm gc lock sem send recv limits; do
    out=$(xsipc $cmd --help 2>"$dir/err")
    rc=$?
    check "$cmd --help exits 0" 0 $rc
    check "$cmd --help writes nothing to stderr" "" "$(cat "$dir/err")"
    check "$cmd --help: Usage:" "Usage:" "$(echo "$out" | head -n 1)"
    check "$cmd --help: its command" 1 \
        "$(echo "$out" | grep -c "^ xsipc $cmd \[options\]")"
    check "$cmd --help: Options:" 1 "$(echo "$out" | grep -c '^Options:$')"
    check "$cmd --help: -h" 1 \
        "$(echo "$out" | grep -c '^ -h, --help  *display this help$')"
    check "$cmd --help: the man page" "For more details see xsipc(1)." \
        "$(echo "$out" | tail -n 1)"
    check "$cmd -h is --help" "$out" "$(xsipc $cmd -h)"
done

# The main --help lists every command.
"$XSIPC_BIN" --help >"$dir/help"
for cmd in key ls info create put get rm gc lock sem send recv limits; do
    check "--help lists $cmd" 1 "$(grep -c "^ $cmd  " "$dir/help")"
done
# Each option of a table is in its --help: those the tests use here.
check "ls --help has --output LIST" 1 \
    "$(xsipc ls --help | grep -c '^ -o, --output LIST ')"
check "ls --help lists the columns" 1 \
    "$(xsipc ls --help | grep -c '^ *STATUS  ')"
check "lock --help has -w, --timeout" 1 \
    "$(xsipc lock --help | grep -c '^ -w, --timeout SECONDS ')"
check "gc --help has the long-only --now" 1 \
    "$(xsipc gc --help | grep -c '^     --now ')"

# lock: -w and --timeout, with = or a separate argument, before or after
# NAME; COMMAND's own options are its own.
for form in "-w 1" "-w1" "--timeout=1" "--timeout 1" "--wait=1"; do
    # shellcheck disable=SC2086
    out=$(xsipc lock $form optname -- echo -w ok)
    check "lock $form NAME: COMMAND runs" "-w ok" "$out"
    # shellcheck disable=SC2086
    out=$(xsipc lock optname $form -- echo -w ok)
    check "lock NAME $form: COMMAND runs" "-w ok" "$out"
done
check "lock NAME COMMAND -w: COMMAND's option" "-w 2" \
    "$(xsipc lock optname echo -w 2)"
check "lock -- NAME COMMAND" "-x" "$(xsipc lock -- optname echo -x)"
xsipc rm optname >/dev/null 2>&1

# A usage error: exit 1, the message, the Try line.
refused() {
    want=$1
    shift
    err=$(xsipc "$@" 2>&1 >/dev/null)
    rc=$?
    check "xsipc $* exits 1" 1 "$rc"
    case $err in
    "xsipc: "*"$want"*"Try 'xsipc --help' for more information.") ;;
    *)
        echo "FAIL: xsipc $*: message '$err', wanted '$want'" >&2
        fail=1
        ;;
    esac
}

for v in nan inf -inf -1 "" 1x 0x10 " 1" 1e3 1. .5 +1; do
    refused "is not a number of seconds" lock name -w "$v" true
done
refused "is not a number of seconds" get name -w nan
refused "is not a number of seconds" put name --wait=1x
refused "is not a number of seconds" send name -w nan
refused "is not a number of seconds" recv name --wait=1x
refused "out of range" recv name -w 99999999
refused "is not a decimal number" recv name -n 1x
refused "out of range" recv name -n 0
refused "expected NAME" send
refused "expected NAME" recv a b
refused "out of range" get name --wait 99999999
refused "out of range" lock name --timeout=99999999 true
refused "out of range" lock name --timeout=2147483.5 true
refused "requires an argument" lock name --timeout
refused "unrecognized option '--bogus'" lock --bogus name true
for v in "" -1 1x 0x1 " 1" 1.0; do
    refused "is not a decimal number" sem name acquire --create "$v"
done
refused "out of range" sem name acquire --create 32768
refused "out of range" sem name release 0
refused "out of range" sem name release 99999999999999999999
refused "is not a decimal number" sem name release 1x

for v in "" 1Q 1KK 1KiBB 1iB K " 1" 1.K 0x10 nan inf 1,5M; do
    refused "is not a size" create name "$v"
done
refused "is zero bytes" create name 0
refused "is zero bytes" create name 0.0001K
refused "a fraction of a byte needs a unit" create name 1.5
refused "is too large" create name 99999999999999999999
refused "is too large" create name 17179869184G
refused "is too large" create name 18446744.9TB
refused "is too large" create name 18446744073709551616
check "nothing was made" "" "$(xsipc ls -n)"

# Sizes as ipcmk takes them, made and read back in bytes.
size_of() {
    xsipc create sized "$1" >/dev/null || return
    xsipc ls -n -b -o SIZE | head -n 1 | tr -d ' '
    xsipc rm sized
}
check "4096" 4096 "$(size_of 4096)"
check "1K" 1024 "$(size_of 1K)"
check "1k" 1024 "$(size_of 1k)"
check "2KiB" 2048 "$(size_of 2KiB)"
check "1KB" 1000 "$(size_of 1KB)"
check "1.5K" 1536 "$(size_of 1.5K)"
check "1.5M" 1572864 "$(size_of 1.5M)"
check "1.5MB" 1500000 "$(size_of 1.5MB)"
check "0.5MiB" 524288 "$(size_of 0.5MiB)"

# -o and --output: column names in any case; an unknown or empty one is
# refused, naming the columns.
xsipc create col 4096
check "ls -o name,Kind,STATUS" "NAME KIND STATUS
col  shm  live" "$(xsipc ls -o name,Kind,STATUS)"
check "ls --output=size,NAME -b" "SIZE NAME
4096 col" "$(xsipc ls --output=size,NAME -b)"
check "ls --output NAME" "col" "$(xsipc ls -n --output NAME)"
check "ls --out=name (a prefix)" "col" "$(xsipc ls -n --out=name)"
xsipc rm col
valid="the columns are NAME, KIND, KEY, ID, SIZE, NATTCH, OWNER, PERMS, CPID, MSGS, BYTES, STATUS"
refused "unknown column 'nope'; $valid" ls -o NAME,nope
refused "unknown column 'NAMES'; $valid" ls --output=NAMES
refused "empty column name in the list; $valid" ls -o NAME,
refused "empty column name in the list; $valid" ls -o ,NAME
refused "empty column name in the list; $valid" ls --output=
refused "requires an argument" ls --output
exit $fail
