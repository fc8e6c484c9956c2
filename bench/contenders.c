/* SPDX-License-Identifier: MIT */
/*
 * contenders.c -- the locks of `make bench`: xsipc_shm_lock/unlock, a raw
 * semop(SEM_UNDO) pair on a one-semaphore set (what Qt and xsipc both do
 * underneath), a robust process-shared pthread mutex and a process-shared
 * POSIX semaphore; and the Qt 5 contender, bench/qt5-bench, run as a child
 * program.
 *
 * Method: one interface (locker_open, locker_lock, locker_unlock,
 * locker_close) so that the benchmarks treat the contenders alike, but a
 * loop of each kind's own for the pairs that are timed and counted, so
 * that no dispatch is measured with them.  The Qt program times its own
 * loop and prints the numbers, so the start-up of a Qt program is not
 * charged to QSharedMemory.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>

#include "bench/contenders.h"
#include "bench/harness.h"

void locker_lock(locker *l)
{
    static struct sembuf down = {0, -1, SEM_UNDO};
    int rc;

    switch (l->k) {
    case RAW:
        while ((rc = semop(l->semid, &down, 1)) != 0 && errno == EINTR)
            ;
        if (rc != 0)
            die("semop -1: %s", strerror(errno));
        break;
    case XSIPC:
        if ((rc = xsipc_shm_lock(l->shm)) != 0)
            die("xsipc_shm_lock: %d: %s", rc, xsipc_shm_error_string(l->shm));
        break;
    case PTHREAD:
        rc = pthread_mutex_lock(l->mutex);
        /* A robust mutex whose holder died: never here, but the protocol
         * says make it consistent before going on. */
        if (rc == EOWNERDEAD)
            rc = pthread_mutex_consistent(l->mutex);
        if (rc != 0)
            die("pthread_mutex_lock: %s", strerror(rc));
        break;
    case POSIX:
        while ((rc = sem_wait(l->psem)) != 0 && errno == EINTR)
            ;
        if (rc != 0)
            die("sem_wait: %s", strerror(errno));
        break;
    }
}

void locker_unlock(locker *l)
{
    static struct sembuf up = {0, 1, SEM_UNDO};
    int rc;

    switch (l->k) {
    case RAW:
        if (semop(l->semid, &up, 1) != 0)
            die("semop +1: %s", strerror(errno));
        break;
    case XSIPC:
        if ((rc = xsipc_shm_unlock(l->shm)) != 0)
            die("xsipc_shm_unlock: %d: %s", rc, xsipc_shm_error_string(l->shm));
        break;
    case PTHREAD:
        if ((rc = pthread_mutex_unlock(l->mutex)) != 0)
            die("pthread_mutex_unlock: %s", strerror(rc));
        break;
    case POSIX:
        if (sem_post(l->psem) != 0)
            die("sem_post: %s", strerror(errno));
        break;
    }
}

/* A raw System V lock as Qt's: a one-semaphore set, value 1.  SETVAL is
 * right here, on a private set no one else can have joined yet. */
static int raw_set(void)
{
    int id = semget(IPC_PRIVATE, 1, 0600 | IPC_CREAT);

    if (id < 0)
        die("semget: %s", strerror(errno));
    if (semctl(id, 0, SETVAL, 1) != 0)
        die("semctl SETVAL: %s", strerror(errno));
    raw_sem = id;
    return id;
}

static void raw_set_free(int id)
{
    (void)semctl(id, 0, IPC_RMID);
    raw_sem = -1;
}

/* Makes l a lock of kind k.  XSIPC creates a 4096-byte segment called
 * name in the default registry ($TMPDIR = our directory). */
void locker_open(locker *l, kind k, const char *name)
{
    memset(l, 0, sizeof *l);
    l->k = k;
    l->semid = -1;
    switch (k) {
    case RAW:
        l->semid = raw_set();
        break;
    case XSIPC:
        l->shm = xsipc_shm_new(name);
        if (l->shm == NULL)
            die("xsipc_shm_new: out of memory");
        if (xsipc_shm_create(l->shm, 4096, XSIPC_READ_WRITE) != 0)
            die("%s", xsipc_shm_error_string(l->shm));
        break;
    case PTHREAD:
    case POSIX:
        l->map = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (l->map == MAP_FAILED)
            die("mmap: %s", strerror(errno));
        if (k == PTHREAD) {
            pthread_mutexattr_t a;
            l->mutex = l->map;
            pthread_mutexattr_init(&a);
            pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
            pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
            if (pthread_mutex_init(l->mutex, &a) != 0)
                die("pthread_mutex_init failed");
            pthread_mutexattr_destroy(&a);
        } else {
            l->psem = l->map;
            if (sem_init(l->psem, 1, 1) != 0)
                die("sem_init: %s", strerror(errno));
        }
        break;
    }
}

void locker_close(locker *l)
{
    switch (l->k) {
    case RAW:
        raw_set_free(l->semid);
        break;
    case XSIPC:
        xsipc_shm_free(l->shm); /* detaches: segment and set removed */
        break;
    case PTHREAD:
        pthread_mutex_destroy(l->mutex);
        munmap(l->map, 4096);
        break;
    case POSIX:
        sem_destroy(l->psem);
        munmap(l->map, 4096);
        break;
    }
}

/*
 * n lock+unlock pairs, each kind in a loop of its own: no dispatch inside
 * the loop, so callgrind's count per pair is the contender's own cost
 * plus a compare and a branch or two.  No signal is delivered here, so an
 * EINTR cannot happen and any failure ends the run.
 */
void locker_pairs(locker *l, long n)
{
    static struct sembuf down = {0, -1, SEM_UNDO}, up = {0, 1, SEM_UNDO};
    long i;

    switch (l->k) {
    case RAW:
        for (i = 0; i < n; i++)
            if (semop(l->semid, &down, 1) != 0 || semop(l->semid, &up, 1) != 0)
                die("semop: %s", strerror(errno));
        break;
    case XSIPC:
        for (i = 0; i < n; i++)
            if (xsipc_shm_lock(l->shm) != 0 || xsipc_shm_unlock(l->shm) != 0)
                die("%s", xsipc_shm_error_string(l->shm));
        break;
    case PTHREAD:
        for (i = 0; i < n; i++)
            if (pthread_mutex_lock(l->mutex) != 0 ||
                pthread_mutex_unlock(l->mutex) != 0)
                die("pthread mutex lock/unlock failed");
        break;
    case POSIX:
        for (i = 0; i < n; i++)
            if (sem_wait(l->psem) != 0 || sem_post(l->psem) != 0)
                die("sem_wait/sem_post: %s", strerror(errno));
        break;
    }
}

const char no_qt5[] = "not built (Qt5Core not found)";

/* Parses "A B ..." numbers printed by the Qt program; the count read. */
static int numbers(const char *s, double *v, int max)
{
    int n = 0;
    char *end;

    while (n < max) {
        double x = strtod(s, &end);
        if (end == s)
            break;
        v[n++] = x;
        s = end;
    }
    return n;
}

/* Runs the Qt program with args; fills v with want numbers or dies. */
void qt5(const char *const *args, double *v, int want)
{
    char *argv[8], out[512];
    int i, rc;

    argv[0] = (char *)qt5_path;
    for (i = 0; args[i] != NULL && i < 6; i++)
        argv[i + 1] = (char *)args[i];
    argv[i + 1] = NULL;
    rc = run(argv, out, sizeof out);
    if (rc != 0 || numbers(out, v, want) != want)
        die("%s %s: exit %d, output \"%s\"", qt5_path, args[0], rc, out);
}
