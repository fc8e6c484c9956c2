/* SPDX-License-Identifier: MIT */
/*
 * chanwait.c -- a channel's sleepers: a receiver that finds no message, or
 * a sender that finds no room, sleeps on a System V semaphore, and the
 * other side posts it only when someone sleeps; and the tokens that tell a
 * live process from a dead one.
 *
 * THE SLEEPING PROTOCOL (its part of lib/channel.c's argument)
 *
 * State in the segment: sleeper[i], the token of the process that holds
 * slot i (0: free); the masks sleep_data and sleep_space, bit i set while
 * slot i's process sleeps (or is about to) for messages or for room.  In
 * the name's lock set, DATA and SPACE, used without SEM_UNDO: a count of
 * wake-ups posted and not yet taken.
 *
 * A sleeper S, which saw the watched word (tail for a receiver, head for a
 * sender) at value v: claims a slot (CAS 0 -> its token), sets its bit
 * (an atomic OR, sequentially consistent), reads the word again and sleeps
 * on the semaphore (semtimedop -1) only when it still is v; afterwards it
 * clears its bit, then frees its slot.  A waker W, after its release store
 * of tail (or head): a sequentially consistent fence, then a load of the
 * mask; a set bit makes it post one wake-up (semop +1).
 *
 * No lost wake-up: S's OR and W's fence are in the single total order of
 * sequentially consistent operations.  If S's OR comes first, W's load
 * after its fence sees the bit and W posts: the semaphore keeps the post,
 * so S's semtimedop, even if it starts later, returns.  If W's fence comes
 * first, W's store of the word precedes S's OR, so S's second read sees
 * the new value and S does not sleep.  The post wakes one sleeper; posts
 * no sleeper takes (S found the word changed) stay counted and make a
 * later sleep return at once, to look again: a spurious wake-up, never a
 * missed one.
 *
 * Crashes.  The kernel undoes nothing here, by design (a post must outlive
 * its poster, who may exit right after).  A waker killed between its store
 * and its post leaves a sleeper that was already asleep asleep with work
 * to do: so no sleep is longer than XSIPC__CHAN_SLICE_MS, after which the
 * sleeper looks again (the only cost: that latency, after such a death).
 * A sleeper killed in its slot leaves its bit, or its slot, set: wakers
 * then post for nobody -- correct, but one system call per message -- so a
 * waker that posts looks, every 64th post, at the tokens of the set bits,
 * and clears the bit and then the slot of each dead one (the slot is freed
 * only after the bit, by CAS from that very token, so no live sleeper's
 * slot is ever freed); a sleeper that finds no free slot frees dead ones
 * the same way.  A slot is always claimed before its bit is set and freed
 * after it is cleared, so every set bit has a claimed slot to ask.
 *
 * Tokens: (start time << 22) | pid, the start time in clock ticks since
 * boot from /proc/self/stat.  With the pid alone a dead owner's pid, reused
 * by a new process, would look alive; with its start time, only the very
 * process that wrote the token matches.  A process is dead when kill(pid,
 * 0) says ESRCH, when /proc says it is a zombie (killed, not yet reaped),
 * or when the process with that pid started at another time; a process of
 * another user, or a /proc that will not say, counts as alive (the safe
 * side: a live owner is never taken for dead).  Processes that share a
 * channel must share a pid namespace, as they must for stale-segment
 * reclaim.  A forked child gets a token of its own: a pthread_atfork
 * handler bumps the fork generation that each handle checks.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "common/proc.h"

/* The longest sleep before looking again (see above: a waker's death). */
#define XSIPC__CHAN_SLICE_MS 200

#define PID_BITS 22
#define START_MASK ((UINT64_C(1) << (64 - PID_BITS)) - 1)

static unsigned fork_gen;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void forked(void)
{
    __atomic_add_fetch(&fork_gen, 1u, __ATOMIC_RELAXED);
}

static void watch_forks(void)
{
    (void)pthread_atfork(NULL, NULL, forked);
}

uint64_t xsipc__chan_token(xsipc_channel *ch)
{
    unsigned gen;

    (void)pthread_once(&atfork_once, watch_forks);
    gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
    if (ch->me == 0 || ch->gen != gen) {
        pid_t pid;
        unsigned long long start = xsipc__proc_self(&pid);

        ch->me = ((uint64_t)start & START_MASK) << PID_BITS |
                 ((uint64_t)pid & ((UINT64_C(1) << PID_BITS) - 1));
        ch->gen = gen;
    }
    return ch->me;
}

int xsipc__chan_dead(uint64_t tok)
{
    pid_t pid = (pid_t)(tok & ((UINT64_C(1) << PID_BITS) - 1));
    uint64_t start = tok >> PID_BITS;
    unsigned long long ticks;
    char path[32], buf[1024], *end;
    ssize_t n;
    int fd;

    if (pid <= 0)
        return 0;
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return 1;
    (void)snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT || errno == ESRCH;
    n = read(fd, buf, sizeof buf - 1);
    (void)close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "pid (comm) S ...": the state follows the last ')'. */
    if ((end = strrchr(buf, ')')) != NULL && end[1] == ' ' &&
        (end[2] == 'Z' || end[2] == 'X'))
        return 1;
    if (start != 0 && xsipc__proc_stat_start(buf, &ticks) == 0 &&
        ((uint64_t)ticks & START_MASK) != start)
        return 1;
    return 0;
}

/* Clears the bits (in *mask) of dead sleepers, then frees their slots. */
static void clear_dead(xsipc__chan_hdr *h, uint64_t *mask, uint64_t bits)
{
    int i;

    for (i = 0; i < XSIPC__CHAN_SLEEPERS; i++) {
        uint64_t tok, bit = UINT64_C(1) << i;

        if ((bits & bit) == 0)
            continue;
        tok = __atomic_load_n(&h->sleeper[i], __ATOMIC_ACQUIRE);
        if (tok == 0 || !xsipc__chan_dead(tok))
            continue;
        if (mask != NULL)
            (void)__atomic_fetch_and(mask, ~bit, __ATOMIC_SEQ_CST);
        (void)__atomic_compare_exchange_n(&h->sleeper[i], &tok, 0, 0,
                                          __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
    }
}

/* A free slot, claimed with me; -1 when every slot is taken by the living. */
static int claim_slot(xsipc__chan_hdr *h, uint64_t me)
{
    int round, i;

    for (round = 0; round < 2; round++) {
        for (i = 0; i < XSIPC__CHAN_SLEEPERS; i++) {
            uint64_t free_ = 0;

            if (__atomic_load_n(&h->sleeper[i], __ATOMIC_RELAXED) == 0 &&
                __atomic_compare_exchange_n(&h->sleeper[i], &free_, me, 0,
                                            __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
                return i;
        }
        /* A slot whose bits are both clear and whose owner is dead was
         * left between its claim and its bit, or its bit and its free. */
        for (i = 0; i < XSIPC__CHAN_SLEEPERS; i++) {
            uint64_t bit = UINT64_C(1) << i;

            if ((__atomic_load_n(&h->sleep_data, __ATOMIC_SEQ_CST) & bit) ==
                    0 &&
                (__atomic_load_n(&h->sleep_space, __ATOMIC_SEQ_CST) & bit) == 0)
                clear_dead(h, NULL, bit);
        }
    }
    return -1;
}

static void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* The end of this sleep, in *out: until, or a slice from now when that is
 * sooner (or until is NULL); 0 when until has passed. */
static int sleep_end(const struct timespec *until, struct timespec *out)
{
    if (until != NULL && xsipc__sys_past(until))
        return 0;
    xsipc__sys_deadline(XSIPC__CHAN_SLICE_MS, out);
    if (until != NULL &&
        (until->tv_sec < out->tv_sec ||
         (until->tv_sec == out->tv_sec && until->tv_nsec < out->tv_nsec)))
        *out = *until;
    return 1;
}

int xsipc__chan_sleep(xsipc_channel *ch, int data, const uint64_t *watched,
                      uint64_t seen, const struct timespec *until,
                      const char *op)
{
    xsipc__chan_hdr *h = ch->h;
    uint64_t *mask = data ? &h->sleep_data : &h->sleep_space;
    struct sembuf take = {data ? XSIPC__CHAN_DATA : XSIPC__CHAN_SPACE, -1, 0};
    uint64_t me = xsipc__chan_token(ch), bit;
    struct timespec left;
    int slot, rc = 0, err;

    /* A short spin first: the other side is usually a few hundred
     * nanoseconds from its store. */
    for (slot = 0; slot < 64; slot++) {
        int k;

        if (__atomic_load_n(watched, __ATOMIC_ACQUIRE) != seen)
            return 0;
        /* Looking less often leaves the other side's cache line alone
         * while it writes the next record; yielding now and then gives
         * this CPU to the other side when both share it. */
        if (slot % 16 == 15)
            (void)sched_yield();
        for (k = 0; k < 8; k++)
            cpu_pause();
    }
    if (!sleep_end(until, &left))
        return -XSIPC_TIMEOUT;
    if ((slot = claim_slot(h, me)) < 0) {
        /* 64 live sleepers: look again after a short nap. */
        struct timespec nap = {0, 1000000};

        (void)nanosleep(&nap, NULL);
        return 0;
    }
    bit = UINT64_C(1) << slot;
    (void)__atomic_fetch_or(mask, bit, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(watched, __ATOMIC_SEQ_CST) == seen &&
        xsipc__sys_semop_until(ch->shm->lock.semid, &take, 1, &left) < 0) {
        err = errno;
        if (err == EIDRM || err == EINVAL)
            rc = xsipc__status_named(
                &ch->err, XSIPC_REMOVED, op, ch->shm->qname, NULL,
                ch->shm->native,
                "the channel's semaphore set was removed while waiting");
        else if (err != EAGAIN && err != EINTR)
            rc = xsipc__status_named(
                &ch->err, xsipc__sys_error(XSIPC__SYS_SEMTIMEDOP, err, 0), op,
                ch->shm->qname, NULL, ch->shm->native,
                "semtimedop failed while waiting: %s", strerror(err));
    }
    (void)__atomic_fetch_and(mask, ~bit, __ATOMIC_SEQ_CST);
    __atomic_store_n(&h->sleeper[slot], 0, __ATOMIC_SEQ_CST);
    return rc;
}

void xsipc__chan_wake(xsipc_channel *ch, int data)
{
    xsipc__chan_hdr *h = ch->h;
    uint64_t *mask = data ? &h->sleep_data : &h->sleep_space;
    struct sembuf post = {data ? XSIPC__CHAN_DATA : XSIPC__CHAN_SPACE, 1, 0};
    uint64_t bits;
    int saved;

    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if ((bits = __atomic_load_n(mask, __ATOMIC_RELAXED)) == 0)
        return;
    saved = errno;
    /* ERANGE (SEMVMX posts no one took) still leaves the value positive:
     * a sleeper wakes all the same. */
    (void)xsipc__sys_semop(ch->shm->lock.semid, &post, 1);
    if (++ch->posts % 64 == 0)
        clear_dead(h, mask, bits);
    errno = saved;
}
