#!/bin/sh
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
check "with a message" "xsipc: lock: \"held\" is held: gave up after 1.000 s" "$err"
err=$(xsipc lock -w 0.2 held -- true 2>&1)
check "-w before NAME" 1 $?
rm -f "$dir/hold"
wait $holder
check "the holder ran to its end" 0 $?
check "the lock is free again" ok "$(xsipc lock -w 5 held -- echo ok)"

# A killed holder releases the lock (SEM_UNDO): kill -9 the xsipc that
# holds it (the process itself: the libtool wrapper execs it), then the
# lock is free; the orphaned COMMAND is stopped too.
"$XSIPC_BIN" -r "$dir" lock killed -- sh -c 'echo $$ >"$1.pid"; exec sleep 30' sh "$dir/killed" &
holder=$!
n=0
while [ ! -s "$dir/killed.pid" ] && [ $n -lt 200 ]; do
    sleep 0.05
    n=$((n + 1))
done
kill -9 $holder
wait $holder 2>/dev/null
check "a killed holder's lock is free" ok "$(xsipc lock -w 5 killed -- echo ok)"
kill "$(cat "$dir/killed.pid")" 2>/dev/null

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
