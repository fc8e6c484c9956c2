/* SPDX-License-Identifier: MIT */
/*
 * lock.c -- the registry lock: an flock() of the registry directory.
 * Claims and key files made by xsipc change only under it (see make.c),
 * and lib/ makes System V objects only under it (lib/semset.c, R1).
 * Files only: no System V IPC call is made here.
 *
 * An flock belongs to an open file description: every holder needs a
 * description of its own, or two holders sharing one would both "hold"
 * it.  Opening one for each lock (openat of ".", then close) costs two
 * system calls, so each registry keeps one -- its own dirfd -- for the
 * threads of the process that opened it, used by one thread at a time:
 *  - lock_busy is the pid of the process one of whose threads holds the
 *    lock through it, or 0.  A thread that finds its own pid there (another
 *    thread is inside) does not wait for it: it opens a description of its
 *    own, as every lock did before, and the two flocks exclude each other
 *    as any two do.  So nothing here waits but flock itself.
 *  - fork copies the descriptor, and with it the description: a child
 *    flocking it would hold the parent's lock, not one that excludes the
 *    parent.  The pid check (getpid(), which glibc no longer caches: a
 *    raw clone() is caught too) sees the child, which opens a description
 *    of its own once and keeps it (lock_pid says whose lockfd is).  A
 *    lock_busy of another pid than ours is an ancestor's, copied by a fork
 *    taken while one of its threads held the lock: no thread of ours holds
 *    it, and it is taken over.
 *  - xsipc__reg_unlock gets only the descriptor.  The thread that holds a
 *    kept description remembers which registry's (one per thread at a
 *    time: a second registry locked meanwhile gets a description of its
 *    own), so unlock knows to leave that descriptor open.
 * The kept description is released with LOCK_UN like any other (a child
 * forked while the lock is held keeps a reference to it).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

/* A message about the registry directory path: "CAUSE: directory PATH". */
#define DIR_WHAT "directory "

/* How long a lock held by someone else is waited for in a directory that
 * others may write (where anyone can flock it and never let go). */
#define LOCK_WAIT_MS 10000

#if defined(__GNUC__)
/* The registry whose kept description this thread holds the lock with,
 * and the process it does so in: a child forked by a thread inside the
 * lock inherits the thread's variables, not its lock. */
static __thread xsipc_registry *kept_held;
static __thread pid_t kept_held_pid;

/* The kept description of reg, claimed for this thread; -1 when another
 * thread of ours has it, or it cannot be had (no description of its own
 * could be opened for a forked child). */
static int kept_take(xsipc_registry *reg)
{
    pid_t me = getpid();
    int busy = __atomic_load_n(&reg->lock_busy, __ATOMIC_ACQUIRE), fd;

    if (kept_held != NULL && kept_held_pid != me)
        kept_held = NULL; /* the parent's, in a forked child */
    if (kept_held != NULL || busy == (int)me ||
        !__atomic_compare_exchange_n(&reg->lock_busy, &busy, (int)me, 0,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return -1;
    if (reg->lock_pid != me) {
        /* A forked child: the descriptor is a copy of an ancestor's. */
        fd = openat(reg->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            __atomic_store_n(&reg->lock_busy, 0, __ATOMIC_RELEASE);
            return -1;
        }
        if (reg->lockfd != reg->dirfd)
            (void)close(reg->lockfd); /* our copy of the ancestor's own */
        reg->lockfd = fd;
        reg->lock_pid = me;
    }
    kept_held = reg;
    kept_held_pid = me;
    return reg->lockfd;
}

static void kept_give(xsipc_registry *reg)
{
    kept_held = NULL;
    __atomic_store_n(&reg->lock_busy, 0, __ATOMIC_RELEASE);
}
#else
static int kept_take(xsipc_registry *reg)
{
    (void)reg;
    return -1;
}

static void kept_give(xsipc_registry *reg)
{
    (void)reg;
}
#endif

/* flock(LOCK_EX) of fd, waited for as the directory allows.  0, or
 * -xsipc_error with st set (fd stays open). */
static int wait_lock(xsipc_registry *reg, int fd, xsipc_status *st)
{
    struct timespec nap = {0, 20000};
    long waited_us = 0;
    int err;

    for (;;) {
        /* In a private directory only our peers can hold the lock, and
         * they hold it for a few system calls: wait as long as it takes. */
        if (flock(fd, reg->shared ? LOCK_EX | LOCK_NB : LOCK_EX) == 0)
            return 0;
        err = errno;
        if (err == EINTR)
            continue;
        if (err != EWOULDBLOCK || waited_us >= LOCK_WAIT_MS * 1000L)
            break;
        (void)nanosleep(&nap, NULL);
        waited_us += nap.tv_nsec / 1000;
        if (nap.tv_nsec < 2000000)
            nap.tv_nsec *= 2;
    }
    errno = err;
    if (err == EWOULDBLOCK)
        return xsipc__status_path(st, XSIPC_TIMEOUT, DIR_WHAT, NULL, reg->dir,
                                  "the registry stayed locked (flock) by "
                                  "another process for %d ms",
                                  LOCK_WAIT_MS);
    return xsipc__status_path(st, XSIPC_KEY_ERROR, DIR_WHAT, NULL, reg->dir,
                              "cannot lock the registry: %s", strerror(err));
}

int xsipc__reg_lock(xsipc_registry *reg, xsipc_status *st)
{
    int fd = kept_take(reg), rc, err;

    if (fd >= 0) {
        if ((rc = wait_lock(reg, fd, st)) == 0)
            return fd;
        err = errno;
        kept_give(reg);
        errno = err;
        return rc;
    }
    /* A description of our own for this one lock. */
    fd = openat(reg->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return xsipc__reg_dir_error(reg->dir, errno, st);
    if ((rc = wait_lock(reg, fd, st)) == 0)
        return fd;
    err = errno;
    (void)close(fd);
    errno = err;
    return rc;
}

void xsipc__reg_unlock(int lockfd)
{
    int saved = errno;

    if (lockfd < 0)
        return;
    /* An explicit LOCK_UN: a child forked (by another thread) while the
     * lock was held shares the open file description, and a mere close
     * here would leave the lock held for as long as that child lives. */
    (void)flock(lockfd, LOCK_UN);
#if defined(__GNUC__)
    if (kept_held != NULL && lockfd == kept_held->lockfd) {
        kept_give(kept_held); /* the registry's own: it stays open */
        errno = saved;
        return;
    }
#endif
    (void)close(lockfd);
    errno = saved;
}
