/* SPDX-License-Identifier: MIT */
/*
 * contenders.h -- the locks xsipc is measured against, behind one
 * interface (see contenders.c), and the Qt 5 contender, a program of its
 * own (bench/qt5-bench).
 */
#ifndef XSIPC_BENCH_CONTENDERS_H
#define XSIPC_BENCH_CONTENDERS_H

#include <pthread.h>
#include <semaphore.h>

#include "xsipc.h"

typedef enum { RAW, XSIPC, PTHREAD, POSIX } kind;

/* One lock of each kind.  The data behind the pthread mutex and the POSIX
 * semaphore live in a shared mapping, as a process-shared lock must. */
typedef struct locker {
    kind k;
    xsipc_shm *shm;
    int semid;
    pthread_mutex_t *mutex;
    sem_t *psem;
    void *map; /* the shared mapping of PTHREAD and POSIX */
} locker;

/* Makes l a lock of kind k.  XSIPC creates a 4096-byte segment called
 * name in the default registry ($TMPDIR = our directory). */
void locker_open(locker *l, kind k, const char *name);
void locker_close(locker *l);

/* One lock, one unlock; a failure ends the run. */
void locker_lock(locker *l);
void locker_unlock(locker *l);

/* n lock+unlock pairs in a loop of the kind's own (see contenders.c). */
void locker_pairs(locker *l, long n);

/* The note of a Qt row when there is no Qt program. */
extern const char no_qt5[];

/* Runs the Qt program (qt5_path) with args, a NULL-terminated list of at
 * most 6; fills v with the want numbers it prints, or ends the run. */
void qt5(const char *const *args, double *v, int want);

#endif
