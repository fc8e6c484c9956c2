#!/bin/sh
# SPDX-License-Identifier: MIT
# json.sh -- ls --json and limits --json parse as JSON (checked with
# python3's json module), list the names in order, and give each member
# one JSON type: sizes numbers of bytes with or without -b, ids numbers,
# null where a value is absent (an object no entry explains, from ls
# --all), strings escaped.
. "${top_srcdir:-.}/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 ||
    skip "ls --json: no python3 to parse it (./bootstrap installs it)"

xsipc create fixed 4K
echo "hi" | xsipc put small
json=$(xsipc ls --json -b | python3 -c '
import json, sys
rows = json.load(sys.stdin)["registry"]
assert all(isinstance(r["size"], int) for r in rows), rows
print(" ".join(r["name"] for r in rows))')
check "ls --json -b, in name order" "fixed small" "$json"
check "ls --json without -b: sizes in bytes too" 4096 "$(xsipc ls --json |
    python3 -c 'import json,sys; print([r["size"] for r in json.load(sys.stdin)["registry"] if r["name"] == "fixed"][0])')"

# types PROGRAM: "ok", or the members whose JSON type is not theirs.
types() {
    python3 -c '
import json, sys
want = dict(arg.split("=") for arg in sys.argv[1:])
kinds = {"str": str, "int": int, "num": (int, float)}
bad = []
for key, rows in json.load(sys.stdin).items():
    for r in rows:
        for k, v in r.items():
            t = want[k]
            null = t.endswith("?")
            if v is None and null:
                continue
            # bool is an int to Python: refuse it.
            if isinstance(v, bool) or not isinstance(v, kinds[t.rstrip("?")]):
                bad.append("%s=%r" % (k, v))
print(" ".join(bad) if bad else "ok")' "$@"
}

# ls --all: an ipcmk segment has no name, status or kind-specific values.
id=$(ipcmk -M 8192 | grep -o '[0-9]*$')
check "ls --all --json: one type per member" ok "$(xsipc ls --all --json |
    types name=str? kind=str key=str id=int? size=int? nattch=int? \
        owner=str perms=str? cpid=int? msgs=int? bytes=int? status=str?)"
check "the ipcmk segment: null name and status, numbers" \
    "None None 8192 $id" "$(xsipc ls --all --json | python3 -c '
import json, sys
for r in json.load(sys.stdin)["registry"]:
    if r["id"] == '"$id"' and r["kind"] == "shm":
        print(r["name"], r["status"], r["size"], r["id"])')"
ipcrm -m "$id"
check "limits --json: one type per member" ok "$(xsipc limits --json |
    types resource=str limit=int used=int? use%=num? description=str)"

keys=$(object_keys)
xsipc rm fixed small
check "rm" 0 $?
check "objects after rm" "" "$(objects_at "$keys")"
exit $fail
