/* SPDX-License-Identifier: MIT */
/*
 * channel.c -- benchmark 8: messages between processes through an xsipc
 * channel and through the kernel's own carriers (chan_peers.c):
 *   8a. 64-byte messages, 1 sender -> 1 receiver, messages/s, against a
 *       System V message queue (the baseline);
 *   8b. 64 KiB messages, 1 -> 1, GiB/s, against memcpy'ing the same bytes
 *       twice in one process (the floor: a sender's copy in, a receiver's
 *       copy out);
 *   8c. ping-pong of 64-byte messages over two queues, one each way,
 *       nanoseconds per round trip, against a pair of pipes;
 *   8d. 4 senders -> 4 receivers on one queue, 64-byte messages,
 *       aggregate messages/s, against a System V message queue.
 *
 * Method: as the other benchmarks, alternating rounds of a fixed number
 * of messages, the contenders' order rotated each round.  The processes
 * are forked for each round, open their queue (an xsipc channel by a
 * handle of their own), pin themselves to CPUs in turn (pin.c: with two
 * cores, the sender on one and the receiver on the other) and wait at a
 * start line; the clock runs from the parent's start signal to the last
 * receiver's last message, read in the receivers (CLOCK_MONOTONIC is the
 * same clock in every process).
 *
 * Checks, so that a broken queue cannot look fast: every message carries
 * its sender and sequence number, and words derived from both (all eight
 * words of a 64-byte message; in a 64 KiB one the first word of every
 * 4 KiB page and the last, and every 64th message is compared whole).
 * A receiver checks each message it gets, and that each sender's numbers
 * come in order (exactly consecutive with one receiver, increasing with
 * several); the parent then checks that every sender's messages were
 * received exactly once in all (count and sum of sequence numbers).  A
 * sender ends with a stop message of the same size; a receiver ends at
 * the first one it gets, which, since every queue here is FIFO, comes
 * after all of that sender's messages.
 *
 * The notes give, beside the rate, the context switches of all processes
 * per message sent (getrusage from the start line on): sleeps, where a
 * process found nothing to do and blocked in the kernel (ru_nvcsw), and
 * preemptions (ru_nivcsw).
 * A queue whose sides keep up with each other costs no sleep at all; one
 * that makes every message a sleep and a wake-up pays the scheduler's
 * latency each time, and it is that, more than the copies, that sets the
 * kernel carriers' rates.
 */
#include <config.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/benchmarks.h"
#include "bench/chan_peers.h"
#include "bench/harness.h"
#include "bench/pin.h"

#define SMALL 64
#define BIG (64 * 1024)
#define CAPACITY (256 * 1024)      /* 8a, 8c, 8d */
#define BIG_CAPACITY (1024 * 1024) /* 8b: 15 messages of 64 KiB */
#define SENDERS 4
#define WORKERS (2 * SENDERS)
#define STOP UINT64_MAX
#define FLOOR CH_KINDS /* the memcpy floor of 8b, in a group's kinds */
#define PINGPONG 0     /* a group's senders: ping-pong */

/* What the receivers found, in a mapping shared with the children. */
typedef struct tally {
    double t_end[WORKERS];
    long csw[WORKERS];  /* voluntary context switches after the start */
    long icsw[WORKERS]; /* involuntary ones: preemptions */
    long got[WORKERS][SENDERS];
    uint64_t seqsum[WORKERS][SENDERS];
} tally;

/* One sub-benchmark: its rows, one per contender, kind[0] the baseline. */
typedef struct group {
    const char *title, *unit;
    int senders, receivers; /* senders PINGPONG: a ping-pong */
    size_t len, capacity;
    long n; /* messages per sender, or round trips */
    int nk;
    int kind[CH_KINDS + 1];
    int row[CH_KINDS + 1];
    char setup[CH_KINDS + 1][96];
    row csw[CH_KINDS + 1];  /* sleeps per message, per round */
    row icsw[CH_KINDS + 1]; /* preemptions per message, per round */
    queue q[2];             /* the round's queues (two for a ping-pong) */
} group;

static tally *tl;
static cpu_set_t cpus;
static int ncpus;
static int ready_fd[2], go_fd[2];
static struct rusage at_go; /* a child's context switches then */

/* Counts the calling child's context switches since the start line into
 * the tally: voluntary ones, each time it blocked in the kernel (a sleep
 * on a semaphore, an empty pipe, a full queue), and involuntary ones, each
 * time the scheduler took its CPU (with more processes than CPUs, in the
 * middle of whatever it held). */
static void count_switches(int i)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return;
    tl->csw[i] = ru.ru_nvcsw - at_go.ru_nvcsw;
    tl->icsw[i] = ru.ru_nivcsw - at_go.ru_nivcsw;
}

/* ----------------------------------------------------------- messages */

static uint64_t mix(uint64_t seq, uint64_t who, uint64_t i)
{
    uint64_t x = (seq + 1) * 0x9E3779B97F4A7C15ull ^ (who << 56) ^
                 i * 0xC2B2AE3D27D4EB4Full;
    x ^= x >> 29;
    return x * 0xBF58476D1CE4E5B9ull;
}

/* Page-aligned words for a message, filled with the constant body of a
 * large one (memcpy's speed depends on the alignment: see bulk.c). */
static uint64_t *words(size_t len)
{
    uint64_t *w = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (w == MAP_FAILED)
        die("mmap %zu bytes: %s", len, strerror(errno));
    for (size_t i = 0; i < len / 8; i++)
        w[i] = mix(STOP, 0xff, i);
    return w;
}

/* Marks message seq of sender who: every word of a 64-byte message; in a
 * larger one words 0 and 1, the first of every 4 KiB page and the last. */
static void stamp(uint64_t *w, size_t n, uint64_t seq, uint64_t who)
{
    w[0] = seq;
    w[1] = who;
    if (n <= 8) {
        for (size_t i = 2; i < n; i++)
            w[i] = mix(seq, who, i);
        return;
    }
    for (size_t i = 512; i < n; i += 512)
        w[i] = mix(seq, who, i);
    w[n - 1] = mix(seq, who, n - 1);
}

/* 1 when w is as stamp made it, the body of a large message as ref's (in
 * full on every 64th message). */
static int intact(const uint64_t *w, size_t n, const uint64_t *ref)
{
    uint64_t seq = w[0], who = w[1];

    if (n <= 8) {
        for (size_t i = 2; i < n; i++)
            if (w[i] != mix(seq, who, i))
                return 0;
        return 1;
    }
    for (size_t i = 512; i < n; i += 512)
        if (w[i] != mix(seq, who, i))
            return 0;
    if (w[n - 1] != mix(seq, who, n - 1))
        return 0;
    if (seq % 64 != 0)
        return 1;
    for (size_t p = 0; p < n; p += 512) {
        size_t from = p == 0 ? 2 : p + 1, to = p + 512 < n ? p + 512 : n - 1;
        if (memcmp(w + from, ref + from, (to - from) * 8) != 0)
            return 0;
    }
    return 1;
}

/* --------------------------------------------------------------- roles */

/* Ready at the start line; returns at the parent's start signal (the end
 * of file on go_fd, seen by all children at once). */
static void await_go(void)
{
    char c;

    if (write(ready_fd[1], "r", 1) != 1)
        die("write: %s", strerror(errno));
    close(ready_fd[1]);
    while (read(go_fd[0], &c, 1) < 0)
        if (errno != EINTR)
            die("read: %s", strerror(errno));
    (void)getrusage(RUSAGE_SELF, &at_go);
}

static void sender(queue *q, uint64_t who, long n, size_t len)
{
    uint64_t *w = words(len);

    queue_join(q);
    await_go();
    for (long s = 0; s < n; s++) {
        stamp(w, len / 8, (uint64_t)s, who);
        queue_send(q, w, len);
    }
    stamp(w, len / 8, STOP, who);
    queue_send(q, w, len);
    queue_leave(q);
}

static void receiver(queue *q, int me, int senders, size_t len)
{
    uint64_t *w = words(len), *ref = words(len);
    uint64_t next[SENDERS] = {0}, sum[SENDERS] = {0};
    long got[SENDERS] = {0};

    queue_join(q);
    await_go();
    for (;;) {
        size_t n = queue_recv(q, w, len);
        uint64_t seq = w[0], who = w[1];
        if (n != len)
            die("8: a message of %zu bytes, %zu expected", n, len);
        if (who >= (uint64_t)senders || !intact(w, len / 8, ref))
            die("8: message %llu of sender %llu corrupted",
                (unsigned long long)seq, (unsigned long long)who);
        if (seq == STOP)
            break;
        if (senders == 1 ? seq != next[who] : seq < next[who])
            die("8: sender %llu's message %llu came after %llu",
                (unsigned long long)who, (unsigned long long)seq,
                (unsigned long long)next[who]);
        next[who] = seq + 1;
        got[who]++;
        sum[who] += seq;
    }
    tl->t_end[me] = now();
    memcpy(tl->got[me], got, sizeof got);
    memcpy(tl->seqsum[me], sum, sizeof sum);
    queue_leave(q);
}

/* Round trip s: side 0 pings s on q[0], side 1 pongs it back on q[1];
 * each side checks what it gets.  Side 0 times the rounds. */
static void bounce(group *g, int side)
{
    uint64_t *w = words(SMALL);
    queue *out = &g->q[side], *in = &g->q[!side];

    queue_join(&g->q[0]);
    queue_join(&g->q[1]);
    await_go();
    for (long s = 0; s < g->n; s++) {
        if (side == 0) {
            stamp(w, SMALL / 8, (uint64_t)s, 0);
            queue_send(out, w, SMALL);
        }
        if (queue_recv(in, w, SMALL) != SMALL || w[0] != (uint64_t)s ||
            w[1] != (uint64_t)!side || !intact(w, SMALL / 8, w))
            die("8c: %s %ld wrong", side == 0 ? "pong" : "ping", s);
        if (side == 1) {
            stamp(w, SMALL / 8, (uint64_t)s, 1);
            queue_send(out, w, SMALL);
        }
    }
    if (side == 0) {
        tl->t_end[0] = now();
        tl->got[0][0] = g->n;
    }
    queue_leave(&g->q[0]);
    queue_leave(&g->q[1]);
}

static void role(group *g, int i)
{
    if (g->senders == PINGPONG)
        bounce(g, i == 0 ? 0 : 1);
    else if (i < g->senders)
        sender(&g->q[0], (uint64_t)i, g->n, g->len);
    else
        receiver(&g->q[0], i - g->senders, g->senders, g->len);
}

/* ------------------------------------------------------------- a round */

/* Kills the children still running (ours, by pid) and ends the run. */
static void fail(const group *g, pid_t *pid, int n, const char *why)
{
    for (int i = 0; i < n; i++)
        if (pid[i] > 0) {
            (void)kill(pid[i], SIGKILL);
            (void)waitpid(pid[i], NULL, 0);
        }
    die("%s, %s: %s", g->title, queue_name(g->q[0].k), why);
}

/* Forks the group's processes, starts them together and waits for them;
 * returns the start time. */
static double run_round(group *g)
{
    int workers = g->senders == PINGPONG ? 2 : g->senders + g->receivers;
    pid_t pid[WORKERS];
    int status, done = 0;
    double t0;
    char c, why[64];

    memset(tl, 0, sizeof *tl);
    if (pipe(ready_fd) != 0 || pipe(go_fd) != 0)
        die("pipe: %s", strerror(errno));
    fflush(NULL);
    for (int i = 0; i < workers; i++) {
        if ((pid[i] = fork()) < 0)
            fail(g, pid, i, "fork failed");
        if (pid[i] == 0) {
            close(go_fd[1]);
            close(ready_fd[0]);
            alarm(60); /* a queue that loses a message must not hang */
            (void)pin(&cpus, i % ncpus);
            role(g, i);
            count_switches(i);
            _exit(0);
        }
    }
    close(ready_fd[1]);
    close(go_fd[0]);
    /* A child that dies before the start line closes its end unwritten:
     * the reads then end early. */
    for (int i = 0; i < workers; i++)
        if (read(ready_fd[0], &c, 1) != 1)
            fail(g, pid, workers, "a process failed before the start");
    close(ready_fd[0]);
    t0 = now();
    close(go_fd[1]);
    while (done < workers) {
        pid_t p = waitpid(-1, &status, 0);
        if (p < 0 && errno == EINTR)
            continue;
        if (p < 0)
            fail(g, pid, workers, "waitpid failed");
        for (int i = 0; i < workers; i++)
            if (pid[i] == p)
                pid[i] = 0;
        if (WIFSIGNALED(status)) {
            snprintf(why, sizeof why, "a process was killed by signal %d",
                     WTERMSIG(status));
            fail(g, pid, workers, why);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail(g, pid, workers, "a process failed");
        done++;
    }
    return t0;
}

/* Every sender's messages received exactly once, in all receivers. */
static void check_counts(const group *g)
{
    uint64_t n = (uint64_t)g->n;

    for (int s = 0; s < g->senders; s++) {
        uint64_t sum = 0;
        long got = 0;
        for (int r = 0; r < g->receivers; r++) {
            got += tl->got[r][s];
            sum += tl->seqsum[r][s];
        }
        if (got != g->n || sum != n * (n - 1) / 2)
            die("%s: sender %d: %ld messages received, %ld sent", g->title, s,
                got, g->n);
    }
}

/* 8b's floor: the same messages, stamped, copied into a ring of the
 * channel's capacity and out of it again, and checked, in one process. */
static double memcpy_twice(group *g)
{
    const size_t slots = BIG_CAPACITY / BIG;
    uint64_t *src = words(BIG), *dst = words(BIG), *ref = words(BIG);
    char *ring = (char *)words(BIG_CAPACITY);
    double t0, t;

    (void)pin(&cpus, 0);
    t0 = now();
    for (long s = 0; s < g->n; s++) {
        char *slot = ring + (size_t)s % slots * BIG;
        stamp(src, BIG / 8, (uint64_t)s, 0);
        memcpy(slot, src, BIG);
        memcpy(dst, slot, BIG);
        if (dst[0] != (uint64_t)s || !intact(dst, BIG / 8, ref))
            die("8b: memcpy: message %ld differs", s);
    }
    t = now() - t0;
    (void)sched_setaffinity(0, sizeof cpus, &cpus);
    munmap(src, BIG);
    munmap(dst, BIG);
    munmap(ref, BIG);
    munmap(ring, BIG_CAPACITY);
    return (double)g->n * BIG / (double)(1L << 30) / t;
}

/* One round of contender k: its value in the group's unit. */
static double measure(group *g, int j)
{
    int k = g->kind[j], nq = g->senders == PINGPONG ? 2 : 1;
    long csw = 0, icsw = 0,
         msgs = g->senders == PINGPONG ? 2 * g->n : g->n * g->senders;
    double t0, end = 0;

    if (k == FLOOR)
        return memcpy_twice(g);
    for (int i = 0; i < nq; i++)
        queue_open(&g->q[i], (ch_kind)k, g->len, g->capacity);
    if (g->setup[j][0] == '\0')
        queue_describe(&g->q[0], g->setup[j], sizeof g->setup[j]);
    t0 = run_round(g);
    for (int i = 0; i < nq; i++)
        queue_close(&g->q[i]);
    for (int i = 0; i < WORKERS; i++) {
        csw += tl->csw[i];
        icsw += tl->icsw[i];
    }
    /* Per message sent (a round trip is two), as a scratch row. */
    if (g->csw[j].n < MAX_ROUNDS) {
        g->csw[j].v[g->csw[j].n++] = (double)csw / (double)msgs;
        g->icsw[j].v[g->icsw[j].n++] = (double)icsw / (double)msgs;
    }
    if (g->senders == PINGPONG) {
        if (tl->got[0][0] != g->n)
            die("%s: %ld round trips, %ld expected", g->title, tl->got[0][0],
                g->n);
        return (tl->t_end[0] - t0) * 1e9 / (double)g->n;
    }
    check_counts(g);
    for (int r = 0; r < g->receivers; r++)
        end = tl->t_end[r] > end ? tl->t_end[r] : end;
    if (g->len == BIG)
        return (double)g->n * BIG / (double)(1L << 30) / (end - t0);
    return (double)(g->n * g->senders) / (end - t0);
}

/* ----------------------------------------------------------- the rows */

static const char *who(int k)
{
    return k == FLOOR ? "memcpy twice, one process (floor)"
                      : queue_name((ch_kind)k);
}

/* The ratio of contender j's median to the pipe's, for the notes. */
static double vs_pipe(const group *g, int j)
{
    for (int i = 0; i < g->nk; i++)
        if (g->kind[i] == CH_PIPE && rows[g->row[i]].n > 0 &&
            rows[g->row[j]].n > 0)
            return median(&rows[g->row[j]]) / median(&rows[g->row[i]]);
    return 0;
}

static void run_group(group *g, const char *base_name)
{
    char how[200], extra[80];

    g->row[0] = add_baseline(g->title, who(g->kind[0]), g->unit);
    for (int j = 1; j < g->nk; j++)
        g->row[j] =
            add_row(g->title, who(g->kind[j]), g->unit, g->row[0], base_name);
    fprintf(stderr, "xsipc-bench: %s, %d rounds\n", g->title, rounds);
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < g->nk; j++) {
            int i = (j + r) % g->nk;
            put(g->row[i], measure(g, i));
        }
    if (g->senders == PINGPONG)
        snprintf(how, sizeof how,
                 "2 processes on %d CPUs, %ld round trips: one sends a "
                 "%zu-byte message on one queue, the other checks it and "
                 "answers on a second",
                 ncpus < 2 ? 1 : 2, g->n, g->len);
    else
        snprintf(how, sizeof how,
                 "%d sender%s -> %d receiver%s on one queue (%d processes on "
                 "%d CPUs), %ld messages of %zu bytes per sender",
                 g->senders, g->senders > 1 ? "s" : "", g->receivers,
                 g->receivers > 1 ? "s" : "", g->senders + g->receivers,
                 ncpus < WORKERS ? ncpus : WORKERS, g->n, g->len);
    for (int j = 0; j < g->nk; j++) {
        double p =
            g->kind[j] == CH_XSIPC && g->kind[0] != CH_PIPE ? vs_pipe(g, j) : 0;
        extra[0] = '\0';
        if (p > 0)
            snprintf(extra, sizeof extra, "; %.2fx pipe", p);
        if (g->kind[j] != FLOOR) {
            size_t at = strlen(extra);
            snprintf(extra + at, sizeof extra - at,
                     "; per message: %.2g sleeps, %.2g preemptions",
                     median(&g->csw[j]), median(&g->icsw[j]));
        }
        if (g->kind[j] == FLOOR)
            set_note(g->row[j],
                     "%ld messages of %zu bytes stamped, memcpy'd into a "
                     "%d KiB ring and out again, checked: one process",
                     g->n, g->len, BIG_CAPACITY / 1024);
        else
            set_note(g->row[j],
                     "%s; %s; every message checked, counts "
                     "exact%s",
                     how, g->setup[j], extra);
    }
}

void bench_channel(void)
{
    static group a = {.title = "8a. 64-byte messages, 1 -> 1",
                      .unit = "msg/s",
                      .senders = 1,
                      .receivers = 1,
                      .len = SMALL,
                      .capacity = CAPACITY,
                      .nk = 5,
                      .kind = {CH_MSGQ, CH_XSIPC, CH_PIPE, CH_MQ, CH_UNIX}};
    static group b = {.title = "8b. 64 KiB messages, 1 -> 1",
                      .unit = "GiB/s",
                      .senders = 1,
                      .receivers = 1,
                      .len = BIG,
                      .capacity = BIG_CAPACITY,
                      .nk = 4,
                      .kind = {FLOOR, CH_XSIPC, CH_PIPE, CH_UNIX}};
    static group c = {.title = "8c. ping-pong, 64-byte messages",
                      .unit = "ns/round trip",
                      .senders = PINGPONG,
                      .len = SMALL,
                      .capacity = CAPACITY,
                      .nk = 5,
                      .kind = {CH_PIPE, CH_XSIPC, CH_MSGQ, CH_MQ, CH_UNIX}};
    static group d = {.title = "8d. 64-byte messages, 4 -> 4",
                      .unit = "msg/s",
                      .senders = SENDERS,
                      .receivers = SENDERS,
                      .len = SMALL,
                      .capacity = CAPACITY,
                      .nk = 5,
                      .kind = {CH_MSGQ, CH_XSIPC, CH_PIPE, CH_MQ, CH_UNIX}};

    tl = mmap(NULL, sizeof *tl, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (tl == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    if (sched_getaffinity(0, sizeof cpus, &cpus) != 0)
        die("sched_getaffinity: %s", strerror(errno));
    ncpus = CPU_COUNT(&cpus);
    chan_setup();
    a.n = chan_msgs;
    b.n = chan_msgs / 16;
    c.n = chan_msgs / 80; /* round trips: a wake-up each way */
    d.n = chan_msgs / SENDERS;
    run_group(&a, "msgq");
    run_group(&b, "memcpy twice");
    run_group(&c, "pipe");
    run_group(&d, "msgq");
    munmap(tl, sizeof *tl);
}
