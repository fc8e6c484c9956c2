#!/bin/sh
# SPDX-License-Identifier: MIT
# check-man.sh -- every manual page in doc/ renders without a warning
# under `groff -man -ww -z` (all warnings enabled, output discarded).
# Exit 77 (skipped) when groff is not installed.
set -u

srcdir=${top_srcdir:-.}
pages="doc/xsipc.1 doc/xsipc.3 doc/xsipc_shm.3 doc/xsipc_sem.3
       doc/xsipc_registry.3"

if ! command -v groff >/dev/null 2>&1; then
    echo "skipped: groff is not installed (./bootstrap installs groff-base)"
    exit 77
fi

fail=0
for page in $pages; do
    file=$srcdir/$page
    if [ ! -f "$file" ]; then
        echo "check-man: $page: missing"
        fail=1
        continue
    fi
    out=$(LC_ALL=C groff -man -ww -z "$file" 2>&1)
    rc=$?
    if [ $rc -ne 0 ] || [ -n "$out" ]; then
        echo "check-man: $page: groff -man -ww -z failed (exit $rc):"
        printf '%s\n' "$out"
        fail=1
    else
        echo "check-man: $page: ok"
    fi
done
exit $fail
