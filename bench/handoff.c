/* SPDX-License-Identifier: MIT */
/*
 * handoff.c -- benchmark 2: two processes taking turns at one lock, each
 * N times: lock, increment a counter in the segment, unlock; xsipc and
 * Qt 5's QSharedMemory against a raw semop(SEM_UNDO) pair (the baseline).
 *
 * Method: increments per second from the start signal to the second
 * process's exit, the contenders alternating round by round; the two
 * processes are pinned to two different CPUs so that the lock really is
 * contended.  The counter is checked to be exactly 2N (mutual exclusion),
 * and the share of increments where the lock changed hands is counted and
 * reported, because the rate means little without it: a lock that one
 * process keeps taking again is cheap.
 */
#include <config.h>

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/benchmarks.h"
#include "bench/contenders.h"
#include "bench/harness.h"
#include "bench/pin.h"

/* The counter in the segment; touched only under the lock. */
typedef struct tally {
    long count;      /* increments so far */
    long last;       /* pid of the last writer */
    long changes[2]; /* per process: increments that followed the other */
} tally;

/* N times: lock, count, note whether the lock came from the other
 * process, unlock.  The counter's exactness shows mutual exclusion. */
static void increments(locker *l, tally *t, int who, long n)
{
    long me = (long)getpid(), changes = 0;

    for (long i = 0; i < n; i++) {
        locker_lock(l);
        if (t->last != me) {
            changes++;
            t->last = me;
        }
        t->count++;
        locker_unlock(l);
    }
    locker_lock(l);
    t->changes[who] = changes;
    locker_unlock(l);
}

/* One round of the handoff for RAW or XSIPC; fills rate and share. */
static void handoff_round(kind k, double *rate, double *share)
{
    int ready[2], go[2], status, shmid = -1;
    cpu_set_t all;
    locker l;
    tally *t;
    double t0;
    pid_t pid;
    char c;

    locker_open(&l, k, "handoff");
    if (k == XSIPC) {
        t = xsipc_shm_data(l.shm);
    } else {
        /* Removed at once: a segment marked removed lives on while
         * attached, and the kernel frees it when both processes end. */
        shmid = shmget(IPC_PRIVATE, 4096, 0600 | IPC_CREAT);
        if (shmid < 0)
            die("shmget: %s", strerror(errno));
        raw_shm = shmid;
        t = shmat(shmid, NULL, 0);
        if (t == (void *)-1)
            die("shmat: %s", strerror(errno));
        (void)shmctl(shmid, IPC_RMID, NULL);
        raw_shm = -1;
    }
    memset(t, 0, sizeof *t);
    if (pipe(ready) != 0 || pipe(go) != 0)
        die("pipe: %s", strerror(errno));
    if (sched_getaffinity(0, sizeof all, &all) != 0)
        die("sched_getaffinity: %s", strerror(errno));
    fflush(NULL);
    if ((pid = fork()) < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        (void)pin(&all, 1);
        /* The child's own handle, as a second program would have: the
         * parent's copy is left alone (and never freed here). */
        locker mine = l;
        tally *ct = t;
        if (k == XSIPC) {
            mine.shm = xsipc_shm_new("handoff");
            if (mine.shm == NULL ||
                xsipc_shm_attach(mine.shm, XSIPC_READ_WRITE) != 0)
                die("child attach: %s", xsipc_shm_error_string(mine.shm));
            ct = xsipc_shm_data(mine.shm);
        }
        if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(3);
        increments(&mine, ct, 1, handoff_n);
        if (k == XSIPC)
            xsipc_shm_free(mine.shm);
        _exit(0);
    }
    (void)pin(&all, 0);
    if (read(ready[0], &c, 1) != 1)
        die("handoff: child did not start");
    t0 = now();
    if (write(go[1], "g", 1) != 1)
        die("write: %s", strerror(errno));
    increments(&l, t, 0, handoff_n);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid: %s", strerror(errno));
    *rate = (double)(2 * handoff_n) / (now() - t0);
    (void)sched_setaffinity(0, sizeof all, &all);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("handoff: child failed");
    locker_lock(&l);
    if (t->count != 2 * handoff_n)
        die("handoff: counter %ld, expected %ld", t->count, 2 * handoff_n);
    *share = (double)(t->changes[0] + t->changes[1]) / (double)(2 * handoff_n);
    locker_unlock(&l);
    close(ready[0]);
    close(ready[1]);
    close(go[0]);
    close(go[1]);
    if (k != XSIPC)
        shmdt(t);
    locker_close(&l);
}

void bench_handoff(void)
{
    static const char title[] = "2. handoff, 2 processes";
    static const kind k[2] = {RAW, XSIPC};
    double share[3][MAX_ROUNDS], rate, sh, v[3];
    int row_of[3];
    char n[32];

    snprintf(n, sizeof n, "%ld", handoff_n);
    /* prints increments, nanoseconds, lock changes */
    const char *args[] = {"handoff", "qthandoff", n, NULL};
    row_of[0] = add_baseline(title, "raw semop(SEM_UNDO)", "incr/s");
    row_of[1] = add_row(title, "xsipc", "incr/s", row_of[0], "raw");
    row_of[2] = add_row(title, "Qt5 QSharedMemory", "incr/s", row_of[0], "raw");
    fprintf(stderr, "xsipc-bench: 2. handoff, %d rounds\n", rounds);
    for (int r = 0; r < rounds; r++) {
        for (int j = 0; j < 3; j++) {
            int i = (j + r) % 3;
            if (i < 2) {
                handoff_round(k[i], &rate, &sh);
            } else if (qt5_path != NULL) {
                qt5(args, v, 3);
                rate = v[0] / (v[1] * 1e-9);
                sh = v[2] / v[0];
            } else {
                continue;
            }
            put(row_of[i], rate);
            share[i][r] = sh;
        }
    }
    static const char *what[3] = {
        "semop -1/+1, SEM_UNDO, on an IPC_PRIVATE 1-semaphore set, the "
        "counter in an IPC_PRIVATE segment",
        "xsipc_shm_lock/unlock, the counter in the xsipc segment; the "
        "child attaches a handle of its own",
        "qt5-bench handoff: QSharedMemory lock/unlock; the child attaches "
        "a QSharedMemory of its own",
    };
    for (int i = 0; i < 3; i++) {
        row tmp;
        if (rows[row_of[i]].n == 0) {
            set_note(row_of[i], "%s", no_qt5);
            continue;
        }
        /* The share's median, through a scratch row. */
        memset(&tmp, 0, sizeof tmp);
        memcpy(tmp.v, share[i], sizeof tmp.v);
        tmp.n = rows[row_of[i]].n;
        set_note(row_of[i],
                 "2 processes on 2 CPUs, each %ld x (lock, increment, "
                 "unlock): %s; lock changed hands on %.1f%% of increments; "
                 "counter exact (2 x %ld) in every round",
                 handoff_n, what[i], 100.0 * median(&tmp), handoff_n);
    }
}
