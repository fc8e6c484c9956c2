#!/bin/sh
# SPDX-License-Identifier: MIT
# skipped.sh LOG... -- run by `make check` after the harness's totals: lists
# every skipped test with its reason, so that none is skipped silently.
# A Check program's log holds tap-driver's "SKIP: PROG N - CASE # SKIP WHY"
# lines; a skipped shell test (exit 77) prints "skipped: WHY" before it
# exits.
out=$(
    for log in "$@"; do
        [ -f "$log" ] || continue
        sed -n -e 's/^SKIP: \(.*\) # SKIP \(.*\)/  \1: \2/p' \
            -e "s|^skipped: \\(.*\\)|  ${log%.log}: \\1|p" "$log"
    done
)
if [ -n "$out" ]; then
    n=$(printf '%s\n' "$out" | wc -l)
    echo "Skipped ($n), with the reasons:"
    printf '%s\n' "$out"
    echo "============================================================================"
fi
exit 0
