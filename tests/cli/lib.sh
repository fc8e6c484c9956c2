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

# Lines of /proc/sysvipc/{shm,sem}: objects of the whole namespace.
objects() { cat /proc/sysvipc/shm /proc/sysvipc/sem 2>/dev/null | wc -l; }

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
