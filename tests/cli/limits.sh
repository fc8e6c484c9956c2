#!/bin/sh
# SPDX-License-Identifier: MIT
# limits.sh -- xsipc limits as lsipc -g: its rows and columns in lsipc's
# order (the kernel's values masked: they differ between systems), the
# constants SHMMIN and SEMVMX, SHMALL in pages with its bytes beside, -o,
# -b and --json.
. "${top_srcdir:-.}/tests/cli/lib.sh"

check "the columns, in lsipc -g's order" "RESOURCE DESCRIPTION LIMIT USED USE%" \
    "$(xsipc limits | head -n 1 | tr -s ' ')"
# The rows with the kernel's values masked; SHMMIN and SEMVMX are
# constants of the kernel.
xsipc limits -b -o resource,LIMIT,Used,use% | awk '
    NR == 1 { printf "%-8s %5s %5s %5s\n", $1, $2, $3, $4; next }
    { lim = ($1 == "SHMMIN" || $1 == "SEMVMX") ? $2 : "LIMIT"
      used = $3 == "-" ? "-" : "USED"; use = $4 == "-" ? "-" : "USE%"
      printf "%-8s %5s %5s %5s\n", $1, lim, used, use }' >"$dir/out"
check_file "the rows, in lsipc -g's order" "$srcdir/tests/cli/limits.expected" \
    "$dir/out"
check "-n: nine rows" 9 "$(xsipc limits -n | wc -l)"

# SHMALL counts pages; its description gives the bytes they make.
pages=$(cat /proc/sys/kernel/shmall)
page=$(getconf PAGESIZE)
check "SHMALL's limit in pages" "$pages" \
    "$(xsipc limits -n -b -o RESOURCE,LIMIT | awk '$1 == "SHMALL" {print $2}')"
desc=$(xsipc limits -n -b -o RESOURCE,DESCRIPTION | sed -n 's/^SHMALL *//p')
bytes=$(awk -v p="$pages" -v s="$page" 'BEGIN {
    if (p * s >= 2 ^ 64) print "no limit"; else printf "%.0f bytes\n", p * s }')
case $desc in
*"in pages of "*"($bytes)") echo "ok: SHMALL's bytes: $desc" ;;
*)
    echo "FAIL: SHMALL's description '$desc', wanted its bytes ($bytes)" >&2
    fail=1
    ;;
esac
check "SHMMAX in bytes with -b" "$(cat /proc/sys/kernel/shmmax)" \
    "$(xsipc limits -n -b -o RESOURCE,LIMIT | awk '$1 == "SHMMAX" {print $2}')"
check "SEMMSL" "$(awk '{print $1}' /proc/sys/kernel/sem)" \
    "$(xsipc limits -n -o RESOURCE,LIMIT | awk '$1 == "SEMMSL" {print $2}')"
check "SEMMNI" "$(awk '{print $4}' /proc/sys/kernel/sem)" \
    "$(xsipc limits -n -o RESOURCE,LIMIT | awk '$1 == "SEMMNI" {print $2}')"

# A segment of ours is counted in SHMMNI's use (at least it: other
# programs may have theirs).
xsipc create limseg 4096
used=$(xsipc limits -n -o RESOURCE,USED | awk '$1 == "SHMMNI" {print $2}')
check "SHMMNI's use counts our segment" 1 "$([ "$used" -ge 1 ] && echo 1)"
xsipc rm limseg

# JSON: {"limits": [...]}, lowercase columns, numbers as numbers, no
# value as null.
xsipc limits --json -o RESOURCE,LIMIT,USED >"$dir/json"
check "--json key" 1 "$(grep -c '^   "limits": \[' "$dir/json")"
check "--json SEMVMX's limit is a number" 1 \
    "$(grep -c '"limit": 32767,\{0,1\}$' "$dir/json")"
check "--json no use is null" 1 \
    "$(awk '/"SEMVMX"/ {f = 1} f && /"used": null/ {print; exit}' "$dir/json" | wc -l)"

# --help lists the columns; an unknown one is refused with the list.
check "--help lists the columns" 5 \
    "$(xsipc limits --help | grep -cE '^ +(RESOURCE|DESCRIPTION|LIMIT|USED|USE%)  ')"
err=$(xsipc limits -o RESOURCE,FREE 2>&1 >/dev/null)
check "limits -o FREE exits 1" 1 $?
check "its message" "xsipc: unknown column 'FREE'; the columns are RESOURCE, DESCRIPTION, LIMIT, USED, USE%" \
    "$(echo "$err" | head -n 1)"
exit $fail
