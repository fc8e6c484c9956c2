#!/bin/sh
# SPDX-License-Identifier: MIT
# data.sh -- create, put, get, ls, info, rm and gc: a 64 MiB random file
# round-trips bit-exact; get copies out and lets go before it writes, so
# `get | head -c 10` and a slow reader leave and hold nothing; -w bounds
# the lock wait of get and put; data too big for a segment is refused;
# ls (masked) lists the names in order; and rm leaves nothing behind
# (ls --json is in json.sh, names that need escaping in names.sh, a Qt5
# reader in qt.sh).
. "${top_srcdir:-.}/tests/cli/lib.sh"

# 64 MiB of random bytes: put makes a segment of that size, get gives
# them back.
head -c 67108864 /dev/urandom >"$dir/big.in" || exit 99
xsipc put big "$dir/big.in"
check "put of 64 MiB" 0 $?
xsipc get big -o "$dir/big.out"
check "get -o of 64 MiB" 0 $?
if cmp -s "$dir/big.in" "$dir/big.out"; then
    echo "ok: 64 MiB round-trip is bit-exact"
else
    echo "FAIL: 64 MiB round-trip differs" >&2
    fail=1
fi
check "get to stdout" 67108864 "$(xsipc get big | wc -c)"
rm -f "$dir/big.in" "$dir/big.out"

# get | head -c 10: head closes the pipe after 10 bytes.  get ends quietly
# with 141 (128 + SIGPIPE, as cat killed by it), and leaves the name as it
# was: its segment, unattached, its key files, and a free lock.
xsipc ls -b >"$dir/ls.before"
ls "$dir" | grep qipc_ >"$dir/files.before"
{ xsipc get big 2>"$dir/get.err"; echo $? >"$dir/get.rc"; } | head -c 10 >"$dir/ten"
check "get | head -c 10 gives 10 bytes" 10 "$(wc -c <"$dir/ten")"
check "get's status when the reader has gone" 141 "$(cat "$dir/get.rc")"
check "and no message" "" "$(cat "$dir/get.err")"
xsipc ls -b >"$dir/ls.after"
check_file "ls after get | head" "$dir/ls.before" "$dir/ls.after"
ls "$dir" | grep qipc_ >"$dir/files.after"
check_file "key files after get | head" "$dir/files.before" "$dir/files.after"
check "the lock is free after get | head" ok "$(xsipc lock big -w 0 -- echo ok)"

# A slow reader blocks nobody: while get waits for the pipe, the lock is
# free and the segment detached.
touch "$dir/slow.hold"
xsipc get big | sh -c 'head -c 1 >/dev/null; touch "$1.started"
    while [ -e "$1.hold" ]; do sleep 0.05; done; cat >/dev/null' sh "$dir/slow" &
reader=$!
n=0
while [ ! -e "$dir/slow.started" ] && [ $n -lt 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
check "the lock is free while get writes" ok "$(xsipc lock big -w 0 -- echo ok)"
check "no attach while get writes" 0 "$(xsipc ls -n -o NAME,NATTCH | awk '$1 == "big" {print $2}')"
rm -f "$dir/slow.hold"
wait $reader

# -w SECONDS: get and put give up on a held lock with exit 1, as lock.
touch "$dir/held"
xsipc lock big -- sh -c 'touch "$1.started"; while [ -e "$1" ]; do sleep 0.05; done' \
    sh "$dir/held" &
holder=$!
n=0
while [ ! -e "$dir/held.started" ] && [ $n -lt 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
err=$(xsipc get big -w 0.2 2>&1 >/dev/null)
check "get -w 0.2 on a held lock exits 1" 1 $?
check "with a message" "xsipc: get: gave up after 0.200 s, the lock is held: \"big\"" "$err"
err=$(echo new | xsipc put -w 0.2 big 2>&1)
check "put -w 0.2 on a held lock exits 1" 1 $?
check "with a message" "xsipc: put: gave up after 0.200 s, the lock is held: \"big\"" "$err"
rm -f "$dir/held"
wait $holder
check "get -w 5 once the lock is free" 67108864 "$(xsipc get -w 5 big | wc -c)"

# create, then put into it: smaller data fits, bigger data does not.
xsipc create fixed 4K
check "create fixed 4K" 0 $?
xsipc create fixed 4K 2>/dev/null
check "create of an existing name exits 2" 2 $?
printf 'hello QT!' | xsipc put fixed
check "put from stdin into fixed" 0 $?
check "get gives the data and zeros" "hello QT!" "$(xsipc get fixed | tr -d '\0')"
check "get gives the whole segment" 4096 "$(xsipc get fixed | wc -c)"
head -c 5000 /dev/zero >"$dir/5000"
err=$(xsipc put fixed "$dir/5000" 2>&1)
check "put of too much exits 2" 2 $?
check "and says so" "xsipc: put: 5000 bytes do not fit the segment of 4096 bytes: \"fixed\"" "$err"
check "the data is untouched" "hello QT!" "$(xsipc get fixed | tr -d '\0')"
echo "hi" | xsipc put small
check "put creates small" 0 $?


# ls: stable columns, rows sorted by name, after masking keys, ids and
# pids.
xsipc ls -b -o NAME,KIND,KEY,ID,SIZE,NATTCH,PERMS,CPID,STATUS |
    tr -s ' ' | sed -E 's/0x[0-9a-f]{8}/0xKEY/; s/KEY [0-9]+ /KEY ID /;
        s/ [0-9]+ (live|stale)$/ PID \1/' >"$dir/ls"
check_file "ls -b" "$srcdir/tests/cli/ls.expected" "$dir/ls"
check "ls -n -o NAME" "big fixed small" "$(xsipc ls -n -o NAME | tr '\n' ' ' | sed 's/ $//')"
check "human SIZE" "64M" "$(xsipc ls -n -o NAME,SIZE | awk '$1 == "big" {print $2}')"

# ls --all adds System V objects that no entry explains: one made by
# ipcmk (util-linux), removed by its id.
id=$(ipcmk -M 8192 | grep -o '[0-9]*$')
check "ls --all shows the ipcmk segment" "- shm 8192" "$(xsipc ls --all -b -n \
    -o NAME,KIND,SIZE,ID | awk -v id="$id" '$4 == id && $1 == "-" {print $1, $2, $3}')"
check "ls does not" 3 "$(xsipc ls -n | wc -l)"
ipcrm -m "$id"

# info shows the record.
check "info" "Status:      live, persistent" "$(xsipc info fixed | grep '^Status:')"
xsipc gc --dry-run >"$dir/gc"
check "gc --dry-run keeps persistent segments" "" "$(grep segment "$dir/gc")"

# key: paths and keys, nothing made without --create.
out=$(xsipc key nosuch 2>"$dir/err")
check "key of a name with no key file exits 2" 2 $?
check "it prints nothing" "" "$out"
check "its message" 'xsipc: key: no key file: "nosuch"' "$(cat "$dir/err")"
check "key makes nothing" 0 "$(ls "$dir" | grep -c nosuch)"
# A name of one kind only: "-" for the other, exit 0.
xsipc sem semonly value --create 0 >/dev/null
out=$(xsipc key semonly)
check "key of a semaphore only exits 0" 0 $?
check "key of a semaphore only" "semonly shm - -
semonly sem 0xKEY DIR/qipc_systemsem_semonlybb90d7a083a15d99745ebde900001ae83455e991" \
    "$(echo "$out" | sed -E 's/0x[0-9a-f]{8}/0xKEY/; s|/.*/|DIR/|')"
xsipc rm semonly
xsipc key --create made | sed -E 's/0x[0-9a-f]{8}/0xKEY/; s|/.*/|DIR/|' >"$dir/key"
check_file "key --create" "$srcdir/tests/cli/key.expected" "$dir/key"
out=$(xsipc key made nosuch 2>/dev/null)
check "key of names one of which has no key file exits 2" 2 $?
check "the other is printed" 2 "$(echo "$out" | grep -c '^made ')"

# rm removes everything: no listing, no key files, no objects.
keys=$(object_keys)
xsipc rm big fixed small made
check "rm" 0 $?
check "ls after rm" "" "$(xsipc ls -n)"
check "key files after rm" "" "$(ls "$dir" | grep qipc_)"
check "objects after rm" "" "$(objects_at "$keys")"
exit $fail
