#!/bin/sh
# SPDX-License-Identifier: MIT
# check-exports.sh -- the shared library exports exactly the public API:
# the dynamic symbols of lib/.libs/libxsipc.so against exports.expected
# (as jansson's check-exports).  A new public function is added to both.
set -u
so="$top_builddir/lib/.libs/libxsipc.so"
expected="$top_srcdir/tests/exports.expected"
if [ ! -f "$so" ]; then
    echo "check-exports: $so not built (--disable-shared?)" >&2
    exit 77
fi
actual=$(${NM:-nm} -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort)
if [ "$actual" = "$(sort "$expected")" ]; then
    echo "check-exports: $(echo "$actual" | wc -l) symbols, as expected"
    exit 0
fi
echo "check-exports: exported symbols differ from $expected:" >&2
printf '%s\n' "$actual" | diff -u "$expected" - >&2
exit 1
