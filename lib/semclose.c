/* SPDX-License-Identifier: MIT */
/*
 * semclose.c -- leaving a semaphore set, and removing it: R2 and R3 of the
 * lock-set protocol (its argument is at the top of semset.c).
 *
 * A handle leaves by giving back its USERS unit, when it is freed or
 * given another key (a detach keeps the set joined: semset.c, "A
 * handle's states").  When others are likely to remain (the caller's
 * guess, from the segment's other users), a semop that succeeds only while
 * USERS is at least 2 leaves first; when it fails, the last user's way
 * follows.  The last user removes the set, and only while no one can be
 * inside or enter: it holds VALUE when the set goes (taken in the very
 * semop that finds USERS 0, or held already by the lock's last holder),
 * and where key files follow Qt's life cycle it unlinks the key file in
 * the same registry-lock hold as the IPC_RMID.  gc and removal take the
 * same way in (xsipc__semset_reap): VALUE with IPC_NOWAIT, in the semop
 * that tests USERS 0.  A set that cannot be removed so stays, for gc.
 * XSIPC_CREATE's renewal of a set (xsipc__semset_renew) removes one only
 * while its caller is its one user.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

/*
 * R2 for a last user no one can take the set from (it holds VALUE, or the
 * set is a counting semaphore at 0 with no users): the set goes and, in
 * Qt's life cycle, its key file with it, in one registry-lock hold.  Where
 * key files stay (a persistent registry) nothing is unlinked, and no lock
 * is needed.  Returns 0 when the registry lock could not be had (a stranger
 * holding a shared directory's lock too long): the set stays, for gc.
 */
static int remove_last(xsipc__semset *s)
{
    int lockfd;

    if (!xsipc__reg_follows_qt(s->reg)) {
        (void)xsipc__sys_semctl(s->semid, 0, IPC_RMID, 0);
        s->semid = -1;
        return 1;
    }
    if ((lockfd = xsipc__reg_lock(s->reg, NULL)) < 0)
        return 0;
    if (xsipc__sys_semctl(s->semid, 0, IPC_RMID, 0) == 0)
        xsipc__reg_release_locked(s->reg, &s->key);
    xsipc__reg_unlock(lockfd);
    s->semid = -1;
    return 1;
}

/* remove_last for a holder of VALUE; a set that stays is unlocked again
 * (marked: our take set MARK, cleared with it). */
static void remove_held(xsipc__semset *s, int marked)
{
    struct sembuf give[2] = {
        {XSIPC__SEM_MARK, -1, IPC_NOWAIT},
        {XSIPC__SEM_VALUE, 1, SEM_UNDO},
    };

    if (remove_last(s))
        return;
    (void)xsipc__sys_semop(s->semid, marked ? give : give + 1, marked ? 2 : 1);
    s->semid = -1;
}

/*
 * Leaves only while others remain: USERS - 2 succeeds (IPC_NOWAIT) only
 * when USERS is at least 2, and the + 1 in the same semop makes it one
 * unit less; both with SEM_UNDO, so the undo entry nets out as a plain
 * leave's does.  The other operations (none, or an unlock) go in the same
 * semop.  EAGAIN when we may be the last user: the caller goes on to the
 * last user's way out.
 */
static int leave_if_others(xsipc__semset *s, const struct sembuf *with,
                           size_t nwith)
{
    struct sembuf ops[4] = {
        {XSIPC__SEM_USERS, -2, SEM_UNDO | IPC_NOWAIT},
        {XSIPC__SEM_USERS, 1, SEM_UNDO},
    };
    size_t i;

    for (i = 0; i < nwith && i < 2; i++)
        ops[2 + i] = with[i];
    return xsipc__sys_semop(s->semid, ops, 2 + i);
}

int xsipc__semset_close(xsipc__semset *s)
{
    /* Leave; and when that makes USERS 0 and the lock is free, with no
     * dead owner's report on it, take the lock in the same semop (R2). */
    struct sembuf last[4] = {
        {XSIPC__SEM_USERS, -1, SEM_UNDO},
        {XSIPC__SEM_USERS, 0, IPC_NOWAIT},
        {XSIPC__SEM_VALUE, -1, SEM_UNDO | IPC_NOWAIT},
        {XSIPC__SEM_MARK, 0, IPC_NOWAIT},
    };
    int saved = errno;

    if (s->semid < 0)
        return 0;
    /* A Qt-made set belongs to the Qt object that made it. */
    if (!s->full) {
        s->semid = -1;
        return 0;
    }
    /* Others are likely still in (the caller's guess): one semop leaves. */
    if (s->others && leave_if_others(s, NULL, 0) == 0) {
        s->semid = -1;
        errno = saved;
        return 0;
    }
    if (!s->key.keep && xsipc__sys_semop(s->semid, last, 4) == 0) {
        remove_held(s, 0);
        errno = saved;
        return 0;
    }
    /* A counting semaphore at 0 cannot be taken by anyone who is not a
     * user first (only users release), so the last user removes it too.
     * A lock at 0 is held: by a Qt program, which counts in no USERS, or
     * by a holder that is about to be told of this leaver -- never
     * removed. */
    if (s->counting && !s->key.keep) {
        struct sembuf empty[3] = {
            {XSIPC__SEM_USERS, -1, SEM_UNDO},
            {XSIPC__SEM_USERS, 0, IPC_NOWAIT},
            {XSIPC__SEM_VALUE, 0, IPC_NOWAIT},
        };
        if (xsipc__sys_semop(s->semid, empty, 3) == 0) {
            (void)remove_last(s); /* left already: nothing to give back */
            s->semid = -1;
            errno = saved;
            return 0;
        }
    }
    if (xsipc__sys_semop(s->semid, last, 1) < 0) {
        int left = xsipc__semset_removed(errno) && xsipc__semset_gone(s);
        errno = saved;
        if (!left)
            return -1; /* still joined: the caller may try again */
    }
    s->semid = -1;
    errno = saved;
    return 0;
}

int xsipc__semset_unlock_close(xsipc__semset *s, int keep_mark, const char *op,
                               xsipc_status *st)
{
    /* Leave, and succeed only when USERS is then 0: the kernel applies
     * both operations or neither (EAGAIN while others remain).  VALUE is
     * still ours, so the set can go with no one inside (R2). */
    struct sembuf last[2] = {
        {XSIPC__SEM_USERS, -1, SEM_UNDO},
        {XSIPC__SEM_USERS, 0, IPC_NOWAIT},
    };
    /* Others remain: unlock and leave in one semop. */
    struct sembuf give[3] = {
        {XSIPC__SEM_MARK, -1, IPC_NOWAIT},
        {XSIPC__SEM_VALUE, 1, SEM_UNDO},
        {XSIPC__SEM_USERS, -1, SEM_UNDO},
    };
    int saved = errno;

    if (s->semid < 0 || !s->full) {
        if (xsipc__semset_unlock(s, keep_mark, op, st) < 0)
            return -1;
        s->semid = -1;
        return 0;
    }
    /* Others are likely still in: unlock and leave in one semop, which
     * succeeds only while others remain. */
    if (s->others && leave_if_others(s, keep_mark ? give + 1 : give,
                                     keep_mark ? 1 : 2) == 0) {
        s->semid = -1;
        errno = saved;
        return 0;
    }
    /* A dead owner's report stays with the set: it is not removed. */
    if (!s->key.keep && !keep_mark &&
        xsipc__sys_semop(s->semid, last, 2) == 0) {
        remove_held(s, 1);
        errno = saved;
        return 0;
    }
    if (xsipc__sys_semop(s->semid, keep_mark ? give + 1 : give,
                         keep_mark ? 2 : 3) == 0) {
        s->semid = -1;
        errno = saved;
        return 0;
    }
    errno = saved;
    if (xsipc__semset_unlock(s, keep_mark, op, st) < 0)
        return -1;
    (void)xsipc__semset_close(s);
    return 0;
}

int xsipc__semset_reap(int semid, unsigned how)
{
    /* R2 for gc and removal: the lock, taken only while it is free and no
     * handle has the set open, so no one is inside when the set goes and
     * no one can enter before (a joiner waits on VALUE, then sees EIDRM).
     * XSIPC__REAP_KEEP_MARKED: a dead owner's report (MARK 1) keeps the
     * set.  XSIPC__REAP_EMPTY: a counting semaphore at 0 with no users
     * goes too (as in xsipc__semset_close, no one who is not a user can
     * raise it). */
    struct sembuf take[3] = {
        {XSIPC__SEM_VALUE, -1, SEM_UNDO | IPC_NOWAIT},
        {XSIPC__SEM_USERS, 0, IPC_NOWAIT},
        {XSIPC__SEM_MARK, 0, IPC_NOWAIT},
    };
    struct sembuf empty[2] = {
        {XSIPC__SEM_USERS, 0, IPC_NOWAIT},
        {XSIPC__SEM_VALUE, 0, IPC_NOWAIT},
    };
    struct sembuf give = {XSIPC__SEM_VALUE, 1, SEM_UNDO};
    int saved = errno, rc = 0;

    if (xsipc__sys_semop(semid, take,
                         (how & XSIPC__REAP_KEEP_MARKED) != 0 ? 3 : 2) == 0) {
        if (xsipc__sys_semctl(semid, 0, IPC_RMID, 0) == 0)
            rc = 1;
        else
            (void)xsipc__sys_semop(semid, &give, 1);
    } else if ((how & XSIPC__REAP_EMPTY) != 0 &&
               xsipc__sys_semop(semid, empty, 2) == 0 &&
               xsipc__sys_semctl(semid, 0, IPC_RMID, 0) == 0) {
        rc = 1;
    }
    errno = saved;
    return rc;
}

int xsipc__semset_renew(xsipc__semset *s, const char *op, xsipc_status *st)
{
    /* USERS - 1 == 0 tested and restored in one semop: true only while
     * this handle is the set's one user.  No SEM_UNDO: net zero. */
    struct sembuf alone[3] = {
        {XSIPC__SEM_USERS, -1, IPC_NOWAIT},
        {XSIPC__SEM_USERS, 0, IPC_NOWAIT},
        {XSIPC__SEM_USERS, 1, 0},
    };

    if (!s->full || s->semid < 0 || xsipc__sys_semop(s->semid, alone, 3) < 0)
        return 0; /* in use by others (or a Qt set): joined as it is */
    /* Someone joining between the test and IPC_RMID gets EIDRM on its
     * next semop and opens the new set, which the loops here allow. */
    if (xsipc__sys_semctl(s->semid, 0, IPC_RMID, 0) < 0)
        return 0;
    s->semid = -1;
    return xsipc__semset_open(s, op, st);
}
