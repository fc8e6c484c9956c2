# SPDX-License-Identifier: MIT
# common.sh -- sourced by the autopkgtest scripts in debian/tests/.
#
# Gives the test a scratch directory ($work: $AUTOPKGTEST_TMP, or a
# mktemp -d when run by hand) and a registry directory of its own
# ($work/registry, exported as TMPDIR, where xsipc and Qt put their key
# files).  First of all it re-runs the test (which takes no arguments) in
# a private System V IPC namespace when unshare(1) is allowed to make one,
# so that the test sees only the objects it made and cannot touch anyone
# else's.

set -eu

if [ -z "${XSIPC_AUTOPKGTEST_IPCNS:-}" ] && unshare --ipc true 2>/dev/null
then
    XSIPC_AUTOPKGTEST_IPCNS=1 exec unshare --ipc "$0"
fi

fail() {
    echo "$0: $*" >&2
    exit 1
}

if [ -n "${AUTOPKGTEST_TMP:-}" ]; then
    work=$AUTOPKGTEST_TMP
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
TMPDIR=$(mktemp -d "$work/registry.XXXXXX")
export TMPDIR

# Compiles the C files $2... into the program $1 against the installed
# library, as its users do: cc FILES $(pkg-config --cflags --libs xsipc).
build_c() {
    out=$1
    shift
    # shellcheck disable=SC2046 # pkg-config's output is a word list
    cc -std=c99 -Wall -Wextra -Werror -o "$out" "$@" \
        $(pkg-config --cflags --libs xsipc)
}

# The 15-line C example of README ("Example" section), on stdout.
readme_example() {
    awk '/^Example$/ { section = 1 }
         section && /^    #include/ { code = 1 }
         code { print substr($0, 5) }
         code && /^    }$/ { exit }' README
}

# Fails if the registry holds a key file or (in a private namespace) any
# System V object is left.
check_nothing_left() {
    left=$(find "$TMPDIR" -mindepth 1 -name 'qipc_*' | wc -l)
    [ "$left" -eq 0 ] || fail "$left key file(s) left in $TMPDIR"
    if [ -n "${XSIPC_AUTOPKGTEST_IPCNS:-}" ]; then
        objects=$(cat /proc/sysvipc/shm /proc/sysvipc/sem | wc -l)
        [ "$objects" -eq 2 ] || fail "System V objects left: $(ipcs)"
    fi
}
