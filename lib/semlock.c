/* SPDX-License-Identifier: MIT */
/*
 * semlock.c -- taking and giving a semaphore set's VALUE on an open set:
 * the lock protocol (with the dead owner's report of MARK) and the
 * counting one, and the operations the lock path makes with one semop.
 *
 * A lock is semop(VALUE -1, SEM_UNDO) as Qt's; on an xsipc set the same
 * semop sets MARK, which the kernel does not undo, so that a holder's
 * death is seen by the next one (XSIPC_OWNER_DIED).  Every wait follows a
 * policy (block, fail at once, fail at a CLOCK_MONOTONIC deadline), and a
 * set removed underneath is opened again (semset.c) up to a bound.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "private.h"

void xsipc__semset_arm(xsipc__semset *s, int id)
{
    static const struct sembuf full_take[3] = {
        {XSIPC__SEM_VALUE, -1, SEM_UNDO},
        {XSIPC__SEM_MARK, 0, IPC_NOWAIT},
        {XSIPC__SEM_MARK, 1, 0},
    };
    static const struct sembuf full_give[2] = {
        {XSIPC__SEM_MARK, -1, IPC_NOWAIT},
        {XSIPC__SEM_VALUE, 1, SEM_UNDO},
    };

    s->semid = id;
    memcpy(s->take, full_take, sizeof full_take);
    memcpy(s->give, full_give, sizeof full_give);
    s->ntake = 3;
    s->ngive = 2;
    if (!s->full) { /* Qt's set: VALUE alone */
        s->give[0] = full_give[1];
        s->ntake = 1;
        s->ngive = 1;
    }
}

/* One semop under the wait policy: NOWAIT is already in the ops' flags. */
static int wait_op(xsipc__semset *s, struct sembuf *ops, size_t n,
                   xsipc__wait wait, const struct timespec *deadline)
{
    if (wait == XSIPC__UNTIL)
        return xsipc__sys_semop_until(s->semid, ops, n, deadline);
    return xsipc__sys_semop(s->semid, ops, n);
}

/* EAGAIN after a wait: it would block (NOWAIT) or the deadline passed. */
static int busy(const xsipc__semset *s, xsipc__wait wait, const char *op,
                xsipc_status *st)
{
    const char *what = s->counting ? "semaphore" : "lock";

    errno = EAGAIN;
    if (wait == XSIPC__NOWAIT)
        return xsipc__status_named(st, XSIPC_WOULD_BLOCK, op, s->qname,
                                   xsipc__reg_dir(s->reg), s->key.file,
                                   "the %s is held by another process", what);
    return xsipc__status_named(st, XSIPC_TIMEOUT, op, s->qname,
                               xsipc__reg_dir(s->reg), s->key.file,
                               "timed out waiting for the %s", what);
}

/* semop said EIDRM or EINVAL: when the set is really gone, forget it (our
 * undo records and our USERS unit went with it) and let the caller's loop
 * open it again; when it is still there, retry on it, since joining again
 * would count this handle twice.  Either way a round is counted. */
static int lost(xsipc__semset *s, int *round, const char *op, xsipc_status *st)
{
    if (xsipc__semset_gone(s))
        s->semid = -1;
    if (++*round < XSIPC__SEM_ROUNDS)
        return 0;
    return xsipc__semset_lost(s, "in use", op, st);
}

/*
 * A Qt program killed between its semget and its SETVAL leaves a set of
 * one semaphore at value 0 that no semop has touched (sem_otime 0): every
 * Qt and xsipc user of the name would wait on it for ever.  Once it has
 * stayed so for XSIPC__QT_REVIVE_SECONDS after it was made (sem_ctime),
 * it is given the value 1 that its creator meant to give: no one can hold
 * a set no semop ever succeeded on, so this breaks no lock.  The test and
 * the +1 are made under the registry lock (xsipc processes revive it once)
 * and the +1 is conditional on VALUE being 0 in the same semop; no undo,
 * as for Qt's SETVAL.  Returns non-zero when the set needs no more
 * watching.
 */
static int revive(xsipc__semset *s)
{
    struct sembuf one[2] = {
        {XSIPC__SEM_VALUE, 0, IPC_NOWAIT},
        {XSIPC__SEM_VALUE, 1, 0},
    };
    struct semid_ds ds;
    int lockfd;

    if (xsipc__sys_semctl_stat(s->semid, &ds) < 0 || ds.sem_otime != 0)
        return 1;
    if (time(NULL) - ds.sem_ctime < XSIPC__QT_REVIVE_SECONDS)
        return 0;
    if ((lockfd = xsipc__reg_lock(s->reg, NULL)) < 0)
        return 0;
    if (xsipc__sys_semctl_stat(s->semid, &ds) == 0 && ds.sem_otime == 0 &&
        xsipc__sys_semctl(s->semid, XSIPC__SEM_VALUE, GETVAL, 0) == 0)
        (void)xsipc__sys_semop(s->semid, one, 2);
    xsipc__reg_unlock(lockfd);
    return 1;
}

/* Takes a Qt set's VALUE, waiting in slices of a second while the set may
 * be a dead creator's (s->qt_fresh), so that revive() gets its turn. */
static int take_qt(xsipc__semset *s, short nowait, xsipc__wait wait,
                   const struct timespec *deadline)
{
    struct sembuf qt = {XSIPC__SEM_VALUE, -1, (short)(SEM_UNDO | nowait)};
    struct timespec slice;

    while (s->qt_fresh && wait != XSIPC__NOWAIT) {
        xsipc__sys_deadline(1000, &slice);
        if (wait == XSIPC__UNTIL && (slice.tv_sec > deadline->tv_sec ||
                                     (slice.tv_sec == deadline->tv_sec &&
                                      slice.tv_nsec > deadline->tv_nsec)))
            slice = *deadline;
        if (xsipc__sys_semop_until(s->semid, &qt, 1, &slice) == 0) {
            s->qt_fresh = 0;
            return 0;
        }
        if (errno != EAGAIN ||
            (wait == XSIPC__UNTIL && xsipc__sys_past(deadline)))
            return -1;
        if (revive(s))
            s->qt_fresh = 0;
    }
    return wait_op(s, &qt, 1, wait, deadline);
}

/*
 * Takes VALUE and sets MARK.  MARK must be 0: when VALUE is free but MARK
 * is set, the kernel has undone a dead holder's VALUE, and the IPC_NOWAIT
 * on MARK makes the whole semop fail with EAGAIN, so the dead owner is
 * noticed inside the same single system call.
 */
static int take(xsipc__semset *s, short nowait, xsipc__wait wait,
                const struct timespec *deadline)
{
    if (!s->full)
        return take_qt(s, nowait, wait, deadline);
    struct sembuf ops[3] = {
        {XSIPC__SEM_VALUE, -1, (short)(SEM_UNDO | nowait)},
        {XSIPC__SEM_MARK, 0, IPC_NOWAIT},
        {XSIPC__SEM_MARK, 1, 0},
    };
    return wait_op(s, ops, 3, wait, deadline);
}

/*
 * Inherits a dead owner's lock: takes VALUE only while MARK is still set,
 * leaving MARK at 1 for ourselves.  Of several processes that saw the
 * dead owner, one inherits; the others then find MARK cleared by its
 * unlock (EAGAIN) and go back to the ordinary take.
 */
static int inherit(xsipc__semset *s, short nowait, xsipc__wait wait,
                   const struct timespec *deadline)
{
    struct sembuf ops[3] = {
        {XSIPC__SEM_VALUE, -1, (short)(SEM_UNDO | nowait)},
        {XSIPC__SEM_MARK, -1, IPC_NOWAIT},
        {XSIPC__SEM_MARK, 1, 0},
    };
    return wait_op(s, ops, 3, wait, deadline);
}

int xsipc__semset_lock(xsipc__semset *s, xsipc__wait wait,
                       const struct timespec *deadline, const char *op,
                       xsipc_status *st)
{
    short nowait = wait == XSIPC__NOWAIT ? IPC_NOWAIT : 0;
    int round = 0, rc;

    for (;;) {
        if (s->semid < 0) {
            /* A set made now is taken in the semop that makes it. */
            if ((rc = xsipc__semset_open_for(s, 1, op, st)) < 0)
                return rc;
            if (s->held_new)
                return 0;
        }
        if (take(s, nowait, wait, deadline) == 0)
            return 0;
        if (errno == EAGAIN && s->full) {
            if (inherit(s, nowait, wait, deadline) == 0)
                return XSIPC_OWNER_DIED;
            if (errno == EAGAIN && wait == XSIPC__WAIT)
                continue; /* another heir took it and already unlocked */
        }
        if (errno == EAGAIN) {
            if (wait == XSIPC__UNTIL && !xsipc__sys_past(deadline))
                continue;
            return busy(s, wait, op, st);
        }
        if (!xsipc__semset_removed(errno))
            return xsipc__semset_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
        if ((rc = lost(s, &round, op, st)) < 0)
            return rc;
    }
}

int xsipc__semset_unlock(xsipc__semset *s, int keep_mark, const char *op,
                         xsipc_status *st)
{
    struct sembuf ops[2] = {
        {XSIPC__SEM_MARK, -1, IPC_NOWAIT},
        {XSIPC__SEM_VALUE, 1, SEM_UNDO},
    };
    int clear = s->full && !keep_mark;
    struct sembuf *first = clear ? &ops[0] : &ops[1];
    size_t n = clear ? 2 : 1;

    if (s->semid < 0)
        return 0; /* the set, and our hold on it, was removed */
    if (xsipc__sys_semop(s->semid, first, n) == 0)
        return 0;
    if (xsipc__semset_removed(errno)) {
        int err = errno;
        /* Removed underneath (a Qt owner exiting): a set made anew starts
         * unlocked, so there is nothing left to release. */
        if (xsipc__semset_gone(s)) {
            s->semid = -1;
            return 0;
        }
        errno = err;
    }
    if (errno == EAGAIN)
        return xsipc__status_named(st, XSIPC_LOCK_ERROR, op, s->qname,
                                   xsipc__reg_dir(s->reg), s->key.file,
                                   "the lock was not held: another process "
                                   "reset the semaphore");
    return xsipc__semset_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
}

int xsipc__semset_acquire(xsipc__semset *s, xsipc__wait wait,
                          const struct timespec *deadline, const char *op,
                          xsipc_status *st)
{
    short nowait = wait == XSIPC__NOWAIT ? IPC_NOWAIT : 0;
    int round = 0, rc;

    for (;;) {
        struct sembuf one = {XSIPC__SEM_VALUE, -1, (short)(s->undo | nowait)};
        if (s->semid < 0 && (rc = xsipc__semset_open(s, op, st)) < 0)
            return rc;
        if (wait_op(s, &one, 1, wait, deadline) == 0)
            return 0;
        if (errno == EAGAIN)
            return busy(s, wait, op, st);
        if (!xsipc__semset_removed(errno))
            return xsipc__semset_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
        if ((rc = lost(s, &round, op, st)) < 0)
            return rc;
    }
}

int xsipc__semset_release(xsipc__semset *s, int n, const char *op,
                          xsipc_status *st)
{
    int round = 0, rc;

    for (;;) {
        struct sembuf add = {XSIPC__SEM_VALUE, (short)n, s->undo};
        if (s->semid < 0 && (rc = xsipc__semset_open(s, op, st)) < 0)
            return rc;
        if (xsipc__sys_semop(s->semid, &add, 1) == 0)
            return 0;
        if (errno == ERANGE) {
            /* The value or this process's undo adjustment would leave
             * the kernel's range (SEMVMX 32767, undo -32768..32767). */
            return xsipc__status_named(st, XSIPC_OUT_OF_RESOURCES, op, s->qname,
                                       xsipc__reg_dir(s->reg), s->key.file,
                                       "releasing %d would pass the kernel's "
                                       "limit (SEMVMX 32767)",
                                       n);
        }
        if (!xsipc__semset_removed(errno))
            return xsipc__semset_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
        if ((rc = lost(s, &round, op, st)) < 0)
            return rc;
    }
}
