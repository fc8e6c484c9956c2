#!/bin/sh
# SPDX-License-Identifier: MIT
# check-symbols.sh -- the Debian symbols file (packaging/debian/
# libxsipc0.symbols) names exactly the symbols of tests/exports.expected,
# which check-exports.sh holds against the built library: a new public
# function goes into all three (the symbols file with the version that
# first has it).  Only the set of names is compared, not versions.
set -u
srcdir=${top_srcdir:-.}
symbols=$srcdir/packaging/debian/libxsipc0.symbols
expected=$srcdir/tests/exports.expected
for f in "$symbols" "$expected"; do
    if [ ! -f "$f" ]; then
        echo "check-symbols: $f: missing" >&2
        exit 1
    fi
done

# Symbol lines start with a space: " NAME@VERSION MINVER"; a symbols file
# may also hold "(c++)"-style tags, which xsipc's never needs.
listed=$(sed -n 's/^ \([^@ ]*\)@[^ ]* .*/\1/p' "$symbols" | sort)
want=$(sort "$expected")
if [ -z "$listed" ]; then
    echo "check-symbols: no symbol lines in $symbols" >&2
    exit 1
fi
if [ "$listed" = "$want" ]; then
    echo "check-symbols: $(echo "$listed" | wc -l) symbols, as in $expected"
    exit 0
fi
echo "check-symbols: $symbols and $expected differ" \
    "(- exports.expected, + symbols):" >&2
sorted=$(mktemp) || exit 99
printf '%s\n' "$want" >"$sorted"
printf '%s\n' "$listed" | diff -u "$sorted" - >&2
rm -f "$sorted"
exit 1
