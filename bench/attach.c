/* SPDX-License-Identifier: MIT */
/*
 * attach.c -- benchmark 6: attach + lock + read + unlock + detach of a
 * segment that exists, as a program that looks at shared state now and
 * then does it.  xsipc with one handle reused for every cycle against Qt
 * 5 with one QSharedMemory reused (qt5-bench attach, the baseline), beside
 * the floor of such a cycle with known keys and no library.
 *
 * The segment is made once, before the rounds, by this program in the
 * default registry ($TMPDIR), and a holder handle stays attached to it
 * throughout: the contenders' detaches are then never the last, so the
 * segment and its key files stay, and every cycle finds them.  Both
 * contenders attach read-write (each library's default) and compare the
 * mark at the segment's start under the lock: what is read is checked.
 *
 * Method: cycles per second in rounds of about `budget` seconds, the clock
 * read once per 50 cycles, the three rows alternating.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "bench/benchmarks.h"
#include "bench/contenders.h"
#include "bench/harness.h"

/* Written at the segment's start; qt5-bench compares the same string. */
static const char mark[] = "xsipc-bench attach";

static xsipc_shm *reader;   /* the reused handle of the xsipc row */
static key_t floor_shm_key; /* the holder's segment key, for the floor */
static int floor_sem;       /* a lock of the floor's own, value 1 */

/* One batch of 50 xsipc cycles on the reused handle. */
static void xsipc_cycles(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) {
        int same;
        if (xsipc_shm_attach(reader, XSIPC_READ_WRITE) != 0 ||
            xsipc_shm_lock(reader) != 0)
            die("attach/lock: %s", xsipc_shm_error_string(reader));
        same = memcmp(xsipc_shm_const_data(reader), mark, sizeof mark) == 0;
        if (xsipc_shm_unlock(reader) != 0 || xsipc_shm_detach(reader) != 0)
            die("unlock/detach: %s", xsipc_shm_error_string(reader));
        if (!same)
            die("attach: the segment does not start with the mark");
    }
}

/*
 * One batch of 50 cycles of the floor: what attaching a known key and
 * reading under a lock cannot avoid -- shmget of the key, shmat, a semop
 * down, the read, a semop up, shmdt.  The lock is a set of the floor's
 * own (the holder's lock set follows xsipc's protocol, not touched here).
 */
static void floor_cycles(void *arg)
{
    static struct sembuf down = {0, -1, SEM_UNDO}, up = {0, 1, SEM_UNDO};

    (void)arg;
    for (int i = 0; i < 50; i++) {
        int id = shmget(floor_shm_key, 0, 0);
        void *p;
        int same;
        if (id < 0 || (p = shmat(id, NULL, 0)) == (void *)-1)
            die("shmget/shmat: %s", strerror(errno));
        if (semop(floor_sem, &down, 1) != 0)
            die("semop -1: %s", strerror(errno));
        same = memcmp(p, mark, sizeof mark) == 0;
        if (semop(floor_sem, &up, 1) != 0 || shmdt(p) != 0)
            die("semop +1/shmdt: %s", strerror(errno));
        if (!same)
            die("attach floor: the segment does not start with the mark");
    }
}

/* The key of the segment named name in the default registry, as the
 * registry resolves it (the key file exists: nothing is made). */
static key_t segment_key(const char *name)
{
    xsipc_status st;
    key_t key;

    if (xsipc_registry_key(NULL, name, XSIPC_KIND_SHM, 0, &key, NULL, 0, &st) !=
        0)
        die("xsipc_registry_key %s: %s", name, st.text);
    return key;
}

void bench_attach(void)
{
    static const char title[] = "6. attach+lock+read+unlock+detach";
    xsipc_shm *holder = xsipc_shm_new("attach");
    char ms[32], fs_note[160];
    int rq, rx, rf;
    double v[2];

    if (holder == NULL || xsipc_shm_create(holder, 4096, XSIPC_READ_WRITE) != 0)
        die("create: %s", xsipc_shm_error_string(holder));
    memcpy(xsipc_shm_data(holder), mark, sizeof mark);
    floor_shm_key = segment_key("attach");
    if ((reader = xsipc_shm_new("attach")) == NULL)
        die("xsipc_shm_new: out of memory");
    if ((floor_sem = semget(IPC_PRIVATE, 1, 0600 | IPC_CREAT)) < 0)
        die("semget: %s", strerror(errno));
    raw_sem = floor_sem;
    /* SETVAL is right on a private set that no one else can have joined. */
    if (semctl(floor_sem, 0, SETVAL, 1) != 0)
        die("semctl SETVAL: %s", strerror(errno));

    snprintf(fs_note, sizeof fs_note,
             "of a 4096-byte segment made once and kept attached by the "
             "harness, default registry, $TMPDIR on %s",
             work_fs);
    rq = add_baseline(title, "Qt5 QSharedMemory, reused object", "cycles/s");
    rx = add_row(title, "xsipc default registry, reused handle", "cycles/s", rq,
                 "Qt5");
    rf = add_row(title, "raw attach floor, keys known", "cycles/s", rq, "Qt5");
    if (qt5_path == NULL)
        set_note(rq, "%s", no_qt5);
    else
        set_note(rq,
                 "one QSharedMemory(name): attach(ReadWrite) + lock + memcmp "
                 "%zu bytes + unlock + detach, %s",
                 sizeof mark, fs_note);
    set_note(rx,
             "one xsipc_shm_new(name): attach(READ_WRITE) + lock + memcmp "
             "%zu bytes + unlock + detach, %s",
             sizeof mark, fs_note);
    set_note(rf, "no library, no file: shmget(key, 0) + shmat + semop -1 + "
                 "memcmp + semop +1 + shmdt, the lock a 1-semaphore set of its "
                 "own");

    snprintf(ms, sizeof ms, "%ld", (long)(budget * 1000));
    const char *args[] = {"attach", "attach", ms, NULL};
    fprintf(stderr, "xsipc-bench: 6. attach+lock+read, %d rounds\n", rounds);
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < 3; j++) {
            int i = (j + r) % 3;
            if (i == 0)
                put(rx, per_second(xsipc_cycles, NULL, 50));
            else if (i == 1)
                put(rf, per_second(floor_cycles, NULL, 50));
            else if (qt5_path != NULL) {
                qt5(args, v, 2);
                put(rq, v[0] / (v[1] * 1e-9));
            }
        }
    (void)semctl(floor_sem, 0, IPC_RMID);
    raw_sem = -1;
    xsipc_shm_free(reader);
    reader = NULL;
    xsipc_shm_free(holder); /* the last user: segment and key files go */
}
