#!/bin/sh
# SPDX-License-Identifier: MIT
# lock.sh -- xsipc lock: four loops of 25 read-modify-write increments of
# one file under the lock end with exactly 100; COMMAND's exit status is
# returned; -w gives up on a held lock with exit 1; sem from the shell.
. "${top_srcdir:-.}/tests/cli/lib.sh"
before=$(objects)
XSIPC_REG=$dir
export XSIPC_BIN XSIPC_REG

echo 0 >"$dir/counter"
loop() {
    i=0
    while [ $i -lt 25 ]; do
        "$XSIPC_BIN" -r "$dir" lock counter -- sh -c \
            'n=$(cat "$1"); sleep 0.001; echo $((n + 1)) >"$1"' sh \
            "$dir/counter" || echo "lock failed: $?" >&2
        i=$((i + 1))
    done
}
loop &
p1=$!
loop &
p2=$!
loop &
p3=$!
loop &
p4=$!
wait $p1 $p2 $p3 $p4
check "four loops of 25 increments under the lock" 100 "$(cat "$dir/counter")"

xsipc lock counter -- sh -c 'exit 7'
check "COMMAND's exit status" 7 $?
xsipc lock counter -- /nonexistent/command 2>/dev/null
check "a COMMAND that is not found" 127 $?

# A held lock: -w 1 gives up with exit 1 and a message.
touch "$dir/hold"
xsipc lock held -- sh -c 'touch "$1.started"; while [ -e "$1" ]; do sleep 0.05; done' \
    sh "$dir/hold" &
holder=$!
n=0
while [ ! -e "$dir/hold.started" ] && [ $n -lt 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
err=$(xsipc lock held -w 1 -- echo should-not-run 2>&1)
check "lock -w 1 on a held lock exits 1" 1 $?
check "with a message" "xsipc: lock: gave up after 1.000 s, the lock is held: \"held\"" "$err"
err=$(xsipc lock -w 0.2 held -- true 2>&1)
check "-w before NAME" 1 $?
rm -f "$dir/hold"
wait $holder
check "the holder ran to its end" 0 $?
check "the lock is free again" ok "$(xsipc lock -w 5 held -- echo ok)"

# waitfor FILE: up to 10 s for FILE to exist and not be empty.
waitfor() {
    n=0
    while [ ! -s "$1" ] && [ $n -lt 200 ]; do
        sleep 0.05
        n=$((n + 1))
    done
}

# A killed holder releases the lock (SEM_UNDO): kill -9 the xsipc that
# holds it (the process itself: the libtool wrapper execs it).  Its
# COMMAND dies with it (PR_SET_PDEATHSIG), and the next holder is told
# that the previous one died holding the lock.
"$XSIPC_BIN" -r "$dir" lock killed -- sh -c 'echo $$ >"$1.pid"; exec sleep 30' sh "$dir/killed" &
holder=$!
waitfor "$dir/killed.pid"
kill -9 $holder
wait $holder 2>/dev/null
n=0
while kill -0 "$(cat "$dir/killed.pid")" 2>/dev/null && [ $n -lt 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
check "COMMAND dies with a killed xsipc" gone \
    "$(kill -0 "$(cat "$dir/killed.pid")" 2>/dev/null && echo alive || echo gone)"
out=$(xsipc lock -w 5 killed -- sh -c 'echo "ok ${XSIPC_OWNER_DIED:-}"' 2>"$dir/err")
check "a killed holder's lock is free, and its death reported" "ok 1" "$out"
check "with a message" 1 "$(grep -c '^xsipc: lock: the previous holder died holding the lock, .*: "killed"$' "$dir/err")"
check "reported once" "ok " "$(xsipc lock -w 5 killed -- sh -c 'echo "ok ${XSIPC_OWNER_DIED:-}"')"

# SIGTERM to xsipc goes on to COMMAND, and the lock stays until COMMAND
# has exited, even when COMMAND ignores the signal (as flock(1) keeps
# its lock while COMMAND runs).
touch "$dir/term.hold"
"$XSIPC_BIN" -r "$dir" lock term -- sh -c \
    'trap "echo got >\"\$1.got\"" TERM; echo $$ >"$1.pid"
     while [ -e "$1.hold" ]; do sleep 0.05; done' sh "$dir/term" &
holder=$!
waitfor "$dir/term.pid"
kill -TERM $holder
waitfor "$dir/term.got"
check "SIGTERM reaches COMMAND" got "$(cat "$dir/term.got" 2>/dev/null)"
xsipc lock -w 0.3 term -- true 2>/dev/null
check "the lock stays held while COMMAND runs" 1 $?
rm -f "$dir/term.hold"
wait $holder
check "xsipc exits with COMMAND's status" 0 $?
check "then the lock is free" ok "$(xsipc lock -w 5 term -- echo ok)"
check "and no death is reported" "ok " \
    "$(xsipc lock -w 5 term -- sh -c 'echo "ok ${XSIPC_OWNER_DIED:-}"')"

# A COMMAND that the passed-on signal kills: xsipc exits 128 + SIGTERM.
"$XSIPC_BIN" -r "$dir" lock term2 -- sh -c 'echo $$ >"$1.pid"; exec sleep 30' sh "$dir/term2" &
holder=$!
waitfor "$dir/term2.pid"
kill -TERM $holder
wait $holder
check "COMMAND killed by the passed-on SIGTERM" 143 $?

# sem: an acquire waits for a release from another xsipc (the set lives
# on: --create makes it persistent).
xsipc sem counted value 2>/dev/null
check "sem value of a missing set exits 2" 2 $?
xsipc sem counted acquire --create 0 &
waiter=$!
n=0
until [ "$(xsipc sem counted value 2>/dev/null)" = 0 ] || [ $n -ge 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
check "sem value while the waiter waits" 0 "$(xsipc sem counted value)"
n=0
until xsipc info counted | grep -q 'semaphore 0: *value 0, waiting 1' ||
    [ $n -ge 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
check "info shows the waiter" 1 \
    "$(xsipc info counted | grep -c 'semaphore 0: *value 0, waiting 1')"
xsipc sem counted release 1
check "sem release" 0 $?
wait $waiter
check "the waiter acquired" 0 $?
# Made by --create, the set outlives every xsipc that used it, with its
# value, until rm removes it.
xsipc sem counted release 3
check "sem value after its users left" 3 "$(xsipc sem counted value)"
xsipc rm counted
check "rm of the persistent semaphore" 0 $?

check "objects left" "$before" "$(objects)"
check "key files left" "" "$(ls "$dir" | grep qipc_)"
exit $fail
