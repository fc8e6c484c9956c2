#!/bin/sh
# SPDX-License-Identifier: MIT
# chan.sh -- send and recv (issue 14): a message round-trips, -l sends
# one message per line (empty ones skipped), -0 ends messages with a NUL,
# -n takes several, senders and receivers may run at once (each message
# received once, a sender's in order), --create makes the channel with
# the sizes given (and refuses sizes that cannot be), a message over the
# largest is refused, a missing channel is exit 2, a wait that ends is
# exit 1 (-w 0 on an empty or a full channel too), a closed pipe ends
# recv with 141, ls and info show a channel's kind and counts, and rm
# leaves nothing behind.
. "${top_srcdir:-.}/tests/cli/lib.sh"

before=$(objects)

# A round trip: --create makes the channel, which keeps the message after
# send has exited.
printf 'hello, channel' | xsipc send q --create 4K
check "send --create" 0 $?
check "recv gives the message" "hello, channel" "$(xsipc recv q)"
check "recv -w 0 on the empty channel exits 1" 1 \
    "$(xsipc recv q -w 0 2>/dev/null; echo $?)"
check "and says so" 'xsipc: recv: the channel is empty: "q"' \
    "$(xsipc recv q -w 0 2>&1)"
check "recv -w 0.2 gives up with exit 1" 1 \
    "$(xsipc recv q -w 0.2 2>/dev/null; echo $?)"
check "and says so" 'xsipc: recv: gave up after 0.200 s, the channel is empty: "q"' \
    "$(xsipc recv q -w 0.2 2>&1)"
printf 'again' | xsipc send q --create 4K
check "send --create to an existing channel uses it" "again" "$(xsipc recv q -w 0)"

# A waiting receiver gets what is sent later.
xsipc recv q -w 30 >"$dir/waited" &
receiver=$!
printf 'late' | xsipc send q
wait $receiver
check "a waiting recv exits 0" 0 $?
check "and gets the message" "late" "$(cat "$dir/waited")"

# Senders and receivers at once: three senders of 20 lines each, two
# receivers of 30 messages each; every message is received once, whole,
# and each sender's in its order.
for s in a b c; do
    seq 1 20 | sed "s/^/$s/" | xsipc send q -l -w 30 &
done
xsipc recv q -n 30 -w 30 >"$dir/r1" &
r1=$!
xsipc recv q -n 30 -w 30 >"$dir/r2" &
r2=$!
wait $r1
check "the first receiver exits 0" 0 $?
wait $r2
check "the second receiver exits 0" 0 $?
wait
check "each got 30 messages" "30 30" "$(wc -l <"$dir/r1" | tr -d ' ') $(wc -l <"$dir/r2" | tr -d ' ')"
check "every message once" "$(for s in a b c; do seq 1 20 | sed "s/^/$s/"; done | sort)" \
    "$(cat "$dir/r1" "$dir/r2" | sort)"
ordered=ok
for f in "$dir/r1" "$dir/r2"; do
    for s in a b c; do
        grep "^$s" "$f" | sed "s/^$s//" >"$dir/seq"
        sort -n "$dir/seq" | cmp -s - "$dir/seq" || ordered="$s out of order in $f"
    done
done
check "each receiver sees each sender's messages in order" ok "$ordered"

# -l: one message per line, without the newline; the empty line is
# skipped, the last line needs no newline.
printf 'one\n\ntwo\nthree' | xsipc send q -l
check "send -l" 0 $?
check "ls: three messages, 11 bytes" "q chan 3 11" \
    "$(xsipc ls -n -b -o NAME,KIND,MSGS,BYTES | tr -s ' ')"
check "recv -n 2" "one
two" "$(xsipc recv q -n 2)"
check "info: kind" "Kind:        chan (channel)" \
    "$(xsipc info q | grep '^Kind:')"
check "info: what is queued" "Messages:    1 (5 bytes, 5B)" \
    "$(xsipc info q | grep '^Messages:')"
check "info: capacity" "Capacity:    4096 bytes (4K)" \
    "$(xsipc info q | grep '^Capacity:')"
check "info: default max (capacity less 8)" "Max message: 4088 bytes" \
    "$(xsipc info q | grep '^Max message:')"
out=$(xsipc recv q -n 2 -w 0 2>"$dir/err")
check "recv -n 2 -w 0 with one message exits 1" 1 $?
check "the one message is written" "three" "$out"
check "then it says the channel is empty" 'xsipc: recv: the channel is empty: "q"' \
    "$(cat "$dir/err")"

# A message is bytes: newlines and all, whole; -0 ends it with a NUL.
printf 'a\nb' | xsipc send q
printf 'c' | xsipc send q
check "recv -0 -n 2" "a
bZcZ" "$(xsipc recv q -0 -n 2 | tr '\0' Z)"

# Empty input is no message.
err=$(printf '' | xsipc send q 2>&1)
check "send of nothing exits 2" 2 $?
check "and says so" 'xsipc: send: no input, and a message has one byte at least: "q"' "$err"
printf '\n\n' | xsipc send q -l
check "send -l of empty lines sends nothing" 0 $?
check "nothing was queued" "0" "$(xsipc ls -n -o NAME,MSGS | awk '$1 == "q" {print $2}')"

# --create CAPACITY,MAX; a larger message is refused, the channel left as
# it was.
printf 'x' | xsipc send small --create 1K,100
check "send --create 1K,100" 0 $?
check "its max" "Max message: 100 bytes" "$(xsipc info small | grep '^Max message:')"
check "its capacity" "Capacity:    1024 bytes (1K)" \
    "$(xsipc info small | grep '^Capacity:')"
head -c 101 /dev/zero | tr '\0' y >"$dir/101"
err=$(xsipc send small <"$dir/101" 2>&1)
check "a message over the largest exits 2" 2 $?
check "and says so" "xsipc: send: 101 bytes exceed the channel's largest message of 100 bytes: \"small\"" "$err"
head -c 100 /dev/zero | tr '\0' y >"$dir/100"
xsipc send small <"$dir/100"
check "a message of the largest size is sent" 0 $?
check "still two messages" 2 "$(xsipc ls -n -o NAME,MSGS | awk '$1 == "small" {print $2}')"
check "the first" "x" "$(xsipc recv small)"
check "the second, whole" "$(cat "$dir/100")" "$(xsipc recv small)"
# -l stops at a line too long: those before are sent.
printf 'ab\n%s\ncd\n' "$(cat "$dir/101")" | xsipc send small -l 2>/dev/null
check "send -l of a line too long exits 2" 2 $?
check "the line before it was sent" "ab" "$(xsipc recv small -w 0)"
check "not those after" 1 "$(xsipc recv small -w 0 2>/dev/null; echo $?)"

# The default MAX: 64 KiB, or what CAPACITY leaves.
printf 'x' | xsipc send big --create 1M
check "--create 1M: max 64 KiB" "Max message: 65536 bytes" \
    "$(xsipc info big | grep '^Max message:')"
printf 'x' | xsipc send odd --create 100
check "--create 100: capacity rounded up to 104" "Capacity:    104 bytes (104B)" \
    "$(xsipc info odd | grep '^Capacity:')"
check "--create 100: max 96 (104 less 8)" "Max message: 96 bytes" \
    "$(xsipc info odd | grep '^Max message:')"
printf 'x' | xsipc send least --create 9
check "--create 9 (16 bytes): max 8" "Max message: 8 bytes" \
    "$(xsipc info least | grep '^Max message:')"
# Sizes that cannot be a channel are usage errors, and make nothing.
for bad in 8 1 64,64 64,57 100,97 1K,2K 0 1K,0 1K, ,1K x 18446744073709551615; do
    err=$(printf 'x' | xsipc send refused --create "$bad" 2>&1)
    check "--create $bad exits 1" 1 $?
    case $err in
    *"Try 'xsipc --help' for more information.") echo "ok: --create $bad: a usage message" ;;
    *)
        echo "FAIL: --create $bad: message '$err'" >&2
        fail=1
        ;;
    esac
done
check "--create 64,56 fits" 0 "$(printf 'x' | xsipc send tiny --create 64,56; echo $?)"
check "the refused sizes made nothing" "" "$(xsipc ls -n -o NAME | grep refused)"

# -w 0 on a full channel: exit 1, and the message says so.
n=0
while [ $n -lt 100 ] && printf 'fill' | xsipc send tiny -w 0 2>"$dir/err"; do
    n=$((n + 1))
done
check "a full channel: send -w 0 exits 1" 1 "$(printf 'fill' | xsipc send tiny -w 0 2>/dev/null; echo $?)"
check "and says so" 'xsipc: send: the channel is full: "tiny"' "$(cat "$dir/err")"
check "send -w 0.1 gives up with exit 1" 'xsipc: send: gave up after 0.100 s, the channel is full: "tiny"' \
    "$(printf 'fill' | xsipc send tiny -w 0.1 2>&1)"
check "what was sent is there" "$((n + 1))" \
    "$(xsipc ls -n -o NAME,MSGS | awk '$1 == "tiny" {print $2}')"

# A missing channel: exit 2, "no such name", nothing made.
err=$(printf 'x' | xsipc send nosuch 2>&1)
check "send to a missing channel exits 2" 2 $?
check "and says so" 'xsipc: send: no such name: "nosuch"' "$err"
err=$(xsipc recv nosuch -w 0 2>&1)
check "recv from a missing channel exits 2" 2 $?
check "and says so" 'xsipc: recv: no such name: "nosuch"' "$err"
check "nothing was made for it" "" "$(xsipc ls -n -o NAME | grep nosuch)"
check "no key file either" 0 "$(ls "$dir" | grep -c nosuch)"

# A segment that is no channel is refused, --create or not.
xsipc create plain 4K
err=$(printf 'x' | xsipc send plain --create 4K 2>&1)
check "send to a plain segment exits 2" 2 $?
check "and says so" 'xsipc: send: the name'"'"'s segment is not a channel: "plain"' \
    "${err%%, key file *}"
check "recv from a plain segment exits 2" 2 "$(xsipc recv plain -w 0 2>/dev/null; echo $?)"

# ls: kind chan and the counts; other rows have none (null in JSON).
printf 'abc' | xsipc send q
check "ls -o NAME,KIND,MSGS,BYTES" "NAME  KIND MSGS BYTES
big   chan    1    1B
least chan    1    1B
odd   chan    1    1B
plain shm     -     -
q     chan    1    3B" "$(xsipc ls -o NAME,KIND,MSGS,BYTES | grep -v '^small \|^tiny ')"
check "ls -b: the full channel" "tiny chan $((n + 1)) $((1 + 4 * n))" \
    "$(xsipc ls -n -b -o NAME,KIND,MSGS,BYTES | grep '^tiny ' | tr -s ' ')"
check "ls: an empty channel" "small chan 0 0B" \
    "$(xsipc ls -n -o NAME,KIND,MSGS,BYTES | grep '^small ' | tr -s ' ')"
check "ls -b BYTES in bytes" "3" \
    "$(xsipc ls -n -b -o NAME,BYTES | awk '$1 == "q" {print $2}')"
if command -v python3 >/dev/null 2>&1; then
    check "ls --json: msgs and bytes of a channel, null elsewhere" \
        "q chan 1 3 plain shm None None" "$(xsipc ls --json | python3 -c '
import json, sys
rows = {r["name"]: r for r in json.load(sys.stdin)["registry"]}
print(" ".join(str(rows[n][k]) for n in ("q", "plain")
               for k in ("name", "kind", "msgs", "bytes")))')"
else
    echo "ok: ls --json not checked (no python3)"
fi

# recv | a reader that has closed the pipe: 141, quietly; the channel
# keeps what recv did not take.
printf 'more' | xsipc send q
{
    while [ ! -e "$dir/gone" ]; do sleep 0.05; done
    xsipc recv q 2>"$dir/recv.err"
    echo $? >"$dir/recv.rc"
} | {
    exec 0<&-
    touch "$dir/gone"
}
check "recv into a closed pipe exits 141" 141 "$(cat "$dir/recv.rc")"
check "without a message" "" "$(cat "$dir/recv.err")"
check "the next message is still there" "more" "$(xsipc recv q -w 0)"

# rm removes the channels: no listing, no key files, no objects.
keys=$(object_keys)
xsipc rm q small big odd least tiny plain
check "rm" 0 $?
check "ls after rm" "" "$(xsipc ls -n)"
check "key files after rm" "" "$(ls "$dir" | grep qipc_)"
check "objects after rm" "" "$(objects_at "$keys")"
check "no System V object left" "$before" "$(objects)"
exit $fail
