#!/bin/sh
# SPDX-License-Identifier: MIT
# names.sh -- names as tables show them: rows sorted by name, control
# characters, backslashes and bytes that are no character escaped as \xHH,
# columns aligned in display cells under a UTF-8 locale and in bytes under
# C; and as --json gives them: the names themselves, escaped as JSON.
. "${top_srcdir:-.}/tests/cli/lib.sh"

tab=$(printf 'tab\there')
esc=$(printf 'esc\033[1m')
bad=$(printf 'bad\377')
# shellcheck disable=SC1003 # a backslash, not an escape
back='back\slash'
names="plain|$tab|$esc|$back|café|日本語|$bad"
IFS='|'
for n in $names; do
    printf '%s' "$n" | xsipc put "$n" || echo "FAIL: put $n" >&2
done
unset IFS

if [ "$(LC_ALL=C.UTF-8 locale charmap 2>/dev/null)" = UTF-8 ]; then
    LC_ALL=C.UTF-8 xsipc ls -b -o NAME,KIND,SIZE >"$dir/utf8"
    check_file "ls under C.UTF-8" "$srcdir/tests/cli/names-utf8.expected" \
        "$dir/utf8"
else
    echo "ok: (no C.UTF-8 locale: its table is not checked)"
fi
LC_ALL=C xsipc ls -b -o NAME,KIND,SIZE >"$dir/c"
check_file "ls under C" "$srcdir/tests/cli/names-c.expected" "$dir/c"

if command -v python3 >/dev/null 2>&1; then
    xsipc ls --json -o NAME >"$dir/json"
    out=$(python3 - "$dir/json" <<'PY'
import json, sys
names = [r["name"] for r in json.load(open(sys.argv[1]))["registry"]]
want = ["back\\slash", "bad\ufffd", "café", "esc\x1b[1m", "plain",
        "tab\there", "日本語"]
print("same" if names == want else repr(names))
PY
)
    check "ls --json gives the names, escaped as JSON" same "$out"
fi

# info escapes the name too.
check "info" 'Name:        esc\x1b[1m' "$(xsipc info "$esc" | head -n 1)"

# lib.sh's cleanup reads the names back from ls: these need rm here.
IFS='|'
for n in $names; do
    xsipc rm "$n" || echo "FAIL: rm $n" >&2
done
unset IFS
check "ls after rm" "" "$(xsipc ls -n)"
exit $fail
