#!/bin/sh
# SPDX-License-Identifier: MIT
# json.sh -- ls --json parses as JSON (checked with python3's json module)
# and lists the names, numbers as numbers with -b, sizes as text without.
. "${top_srcdir:-.}/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 ||
    skip "ls --json: no python3 to parse it (./bootstrap installs it)"

xsipc create fixed 4K
echo "hi" | xsipc put small
json=$(xsipc ls --json -b | python3 -c '
import json, sys
rows = json.load(sys.stdin)["registry"]
assert all(isinstance(r["size"], int) for r in rows), rows
print(" ".join(sorted(r["name"] for r in rows)))')
check "ls --json -b" "fixed small" "$json"
check "ls --json without -b: sizes as text" "4K" "$(xsipc ls --json |
    python3 -c 'import json,sys; print([r["size"] for r in json.load(sys.stdin)["registry"] if r["name"] == "fixed"][0])')"
keys=$(object_keys)
xsipc rm fixed small
check "rm" 0 $?
check "objects after rm" "" "$(objects_at "$keys")"
exit $fail
