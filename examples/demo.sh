#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh -- runs the provider/consumer pair: the consumer must print
# "hello QT!" and, afterwards, no key file and no System V object with the
# demo's keys may be left in the registry directory ($TMPDIR, else /tmp).
# Run by `make demo` and, in a directory of its own, by `make check`.
set -u
builddir=${top_builddir:-.}
dir=${TMPDIR:-/tmp}
name=share
if [ -n "${XSIPC_TEST_IPCNS:-}${srcdir:-}" ]; then
    # Under make check: a registry directory of its own.
    dir=$(mktemp -d "${TMPDIR:-/tmp}/xsipc-demo-XXXXXX") || exit 99
    TMPDIR=$dir; export TMPDIR
    trap 'rm -rf "$dir"' EXIT
fi

objects() { cat /proc/sysvipc/shm /proc/sysvipc/sem 2>/dev/null | wc -l; }
before=$(objects)

"$builddir/examples/provider" "$name" "hello QT!" >/dev/null &
provider=$!
out=$("$builddir/examples/consumer" "$name")
consumer_rc=$?
wait $provider
provider_rc=$?
echo "$out"

status=0
if [ "$consumer_rc" -ne 0 ] || [ "$provider_rc" -ne 0 ]; then
    echo "demo: consumer exited $consumer_rc, provider $provider_rc" >&2
    status=1
fi
if [ "$out" != "hello QT!" ]; then
    echo "demo: expected 'hello QT!', got '$out'" >&2
    status=1
fi
left=$(ls "$dir" | grep -c "^qipc_.*$name" || true)
if [ "$left" -ne 0 ]; then
    echo "demo: $left key file(s) left in $dir" >&2
    status=1
fi
if [ "$(objects)" -ne "$before" ]; then
    echo "demo: System V objects before: $before lines, after: $(objects)" >&2
    status=1
fi
exit $status
