# SPDX-License-Identifier: MIT
# lib.sh -- sourced by the CLI tests: a registry directory of the test's
# own, the xsipc command run in it, the count of System V objects, and
# cleanup of what the test made (its key files' objects, then the dir).
set -u
builddir=${top_builddir:-.}
srcdir=${top_srcdir:-.}
XSIPC_BIN="$builddir/tools/xsipc"
dir=$(mktemp -d "${TMPDIR:-/tmp}/xsipc-cli-XXXXXX") || exit 99
TMPDIR=$dir
export TMPDIR
fail=0

xsipc() { "$XSIPC_BIN" -r "$dir" "$@"; }

# The keys (decimal, as /proc/sysvipc gives them) of every object that
# the registry's entries name now, and those of KEYS still in use: the
# test's own objects, exact also in the host's IPC namespace, where other
# programs (and other suites of a parallel make check) make theirs.
object_keys() {
    xsipc ls -n -o KEY 2>/dev/null | while read -r k; do
        case $k in 0x*) printf '%d\n' "$k" ;; esac
    done
}
objects_at() {
    for k in $1; do
        awk -v k="$k" 'NR > 1 && $1 == k {print $1}' \
            /proc/sysvipc/shm /proc/sysvipc/sem
    done
}

# The System V objects this user made, in the whole namespace (in the
# host's, tests/ipcns runs the tests one at a time).
objects() {
    { awk -v u="$(id -u)" 'NR > 1 && $10 == u' /proc/sysvipc/shm
      awk -v u="$(id -u)" 'NR > 1 && $7 == u' /proc/sysvipc/sem; } | wc -l
}

# Ends the test as skipped (exit 77), with the reason for the summary.
skip() {
    echo "skipped: $*"
    exit 77
}

# Removes what ls still lists (a failed test's leftovers), then the dir.
cleanup() {
    "$XSIPC_BIN" -r "$dir" ls -n -o NAME,KIND 2>/dev/null | while read -r n k; do
        "$XSIPC_BIN" -r "$dir" rm "$n" >/dev/null 2>&1
    done
    rm -rf "$dir"
}
trap cleanup EXIT

# check WHAT EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then
        echo "ok: $1"
    else
        echo "FAIL: $1: expected '$2', got '$3'" >&2
        fail=1
    fi
}

# check_file WHAT EXPECTED-FILE ACTUAL-FILE
check_file() {
    if diff -u "$2" "$3" >&2; then
        echo "ok: $1"
    else
        echo "FAIL: $1 (diff above)" >&2
        fail=1
    fi
}
