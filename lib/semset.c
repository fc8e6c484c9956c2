/*
 * semset.c -- finding, creating, joining and leaving a semaphore set, and
 * the lock and counting protocols on it (see semset.h for the layout).
 *
 * Kernel facts this file is built on:
 *  - semop applies all its operations or none, so "take VALUE and set MARK"
 *    cannot be half done, not even by a process killed in the middle.
 *  - SEM_UNDO adjustments are applied when the process exits, however it
 *    exits; they are per process, not per thread, and fork does not copy
 *    them.  SETVAL and SETALL clear every process's adjustments for that
 *    semaphore, so a set in use is never given a value here: a new set is
 *    initialised by semop, which needs no such reset because it is all
 *    zeros.
 *  - When a set is removed (IPC_RMID) every sleeper wakes with EIDRM and
 *    later calls on its id fail with EINVAL (or EIDRM).  A Qt program that
 *    created the set removes it when its QSystemSemaphore is destroyed,
 *    even while others use it; the set is then found or created again and
 *    the operation retried, a bounded number of times.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

/* How often a set removed underneath is re-created before giving up. */
#define MAX_ROUNDS 8

/* open_once's "the set went away between two calls: start again". */
#define AGAIN 1

void xsipc__semset_init(xsipc__semset *s, xsipc_registry *reg, const char *name,
                        int initial)
{
    memset(s, 0, sizeof *s);
    s->reg = reg;
    s->name = name;
    xsipc__reg_quote(name, 64, s->qname, sizeof s->qname);
    s->semid = -1;
    s->initial = initial;
    s->undo = SEM_UNDO;
}

static int removed(int err)
{
    return err == EIDRM || err == EINVAL;
}

/* After a semop said EIDRM or EINVAL: is the set really gone?  Acting on
 * a removal that did not happen would join the set twice or forget a lock
 * still held, so the kernel is asked once more. */
static int gone(const xsipc__semset *s)
{
    struct semid_ds ds;

    return xsipc__sys_semctl_stat(s->semid, &ds) < 0 && removed(errno);
}

/* Fails with the mapped error of call's errno, naming the set. */
static int sys_fail(const xsipc__semset *s, xsipc__sys_call call, int err,
                    int creating, const char *op, xsipc_status *st)
{
    xsipc_error code = xsipc__sys_error(call, err, creating);
    xsipc__status_set(st, code,
                      "%s: %s on the semaphore set of \"%s\" (key 0x%08x, "
                      "key file %s/%s): %s%s",
                      op, xsipc__sys_name(call), s->qname, (unsigned)s->key.key,
                      s->reg->dir, s->key.file, strerror(err),
                      xsipc__sys_limit(call, err));
    errno = err;
    return -(int)code;
}

/* Makes the lock's and unlock's operations for the set just opened: see
 * take() for why MARK is tested with IPC_NOWAIT. */
static void arm(xsipc__semset *s, int id)
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

/* The set at our key is an xsipc set: add ourselves to USERS. */
static int join(xsipc__semset *s, int id, const char *op, xsipc_status *st)
{
    struct sembuf one = {XSIPC__SEM_USERS, 1, SEM_UNDO};
    if (xsipc__sys_semop(id, &one, 1) == 0)
        return 0;
    if (removed(errno))
        return AGAIN;
    return sys_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
}

/*
 * A set xsipc creates gets its first semop (the initialisation) right
 * after semget; until then sem_otime is 0 and VALUE is 0.  Wait a little
 * for it; a set still untouched then belongs to a creator that died
 * between the two calls, and would keep every lock waiting forever: it is
 * removed (a creator that was only slow sees EIDRM and starts again).
 * Returns non-zero when the set is initialised.
 */
static int initialised(int id, struct semid_ds *ds)
{
    struct timespec nap = {0, 2 * 1000000L};
    int i;

    for (i = 0; i < 250; i++) { /* about half a second */
        nanosleep(&nap, NULL);
        if (xsipc__sys_semctl_stat(id, ds) < 0)
            return 0; /* gone: AGAIN finds out */
        if (ds->sem_otime != 0)
            return 1;
    }
    (void)xsipc__sys_semctl(id, 0, IPC_RMID, 0);
    return 0;
}

/* Creates the set, or finds and joins the one at the key; with lock, a
 * set it creates is created locked (s->held_new says so). */
static int open_once(xsipc__semset *s, int lock, const char *op,
                     xsipc_status *st)
{
    struct semid_ds ds;
    int id, rc;

    s->held_new = 0;
    id = xsipc__sys_semget(s->key.key, XSIPC__SEM_NSEMS,
                           (int)s->reg->obj_mode | IPC_CREAT | IPC_EXCL);
    if (id >= 0) {
        /* VALUE += initial and USERS += 1 in one step: a process that
         * finds the set before this semop sees VALUE 0 (the lock taken)
         * and waits, rather than racing an initialisation.  A lock wanted
         * at once (xsipc__semset_lock) is taken in the same semop: the
         * kernel applies the operations of one semop in order, so VALUE
         * goes up and down again with our undo entry, and MARK (0 in a new
         * set) is set, exactly as take() leaves them. */
        struct sembuf init[4] = {
            {XSIPC__SEM_VALUE, (short)s->initial, 0},
            {XSIPC__SEM_USERS, 1, SEM_UNDO},
            {XSIPC__SEM_VALUE, -1, SEM_UNDO},
            {XSIPC__SEM_MARK, 1, 0},
        };
        size_t n = lock && s->initial >= 1 ? 4 : 2;

        if (xsipc__sys_semop(id, init, n) < 0) {
            int err = errno;
            /* Never leave a set that nobody will initialise: its VALUE 0
             * would keep every later lock waiting. */
            (void)xsipc__sys_semctl(id, 0, IPC_RMID, 0);
            if (removed(err))
                return AGAIN;
            return sys_fail(s, XSIPC__SYS_SEMOP, err, 1, op, st);
        }
        s->full = 1;
        s->created = 1;
        s->held_new = n == 4;
        arm(s, id);
        return 0;
    }
    if (errno != EEXIST)
        return sys_fail(s, XSIPC__SYS_SEMGET, errno, 1, op, st);

    /* No permission bits asked for here: the kernel checks them on each
     * semop, which gives the clearer error. */
    id = xsipc__sys_semget(s->key.key, 0, 0);
    if (id < 0)
        return errno == ENOENT
                   ? AGAIN
                   : sys_fail(s, XSIPC__SYS_SEMGET, errno, 0, op, st);
    if (xsipc__sys_semctl_stat(id, &ds) < 0)
        return removed(errno)
                   ? AGAIN
                   : sys_fail(s, XSIPC__SYS_SEMCTL, errno, 0, op, st);
    /* Anyone may create a set at a key they can predict; one owned by a
     * stranger could feed us values or break our lock at will. */
    if (!xsipc__reg_trusted(s->reg, ds.sem_perm.uid)) {
        errno = EPERM;
        return xsipc__status_set(
            st, XSIPC_UNTRUSTED,
            "%s: the semaphore set at key 0x%08x for \"%s\" belongs to "
            "uid %u, not to us (uid %u), root or a trusted user",
            op, (unsigned)s->key.key, s->qname, (unsigned)ds.sem_perm.uid,
            (unsigned)geteuid());
    }
    s->full = ds.sem_nsems >= XSIPC__SEM_NSEMS;
    if (s->full && ds.sem_otime == 0 && !initialised(id, &ds))
        return AGAIN;
    s->created = 0;
    if (s->full) {
        rc = join(s, id, op, st);
        if (rc != 0)
            return rc;
    }
    arm(s, id);
    return 0;
}

/* xsipc__semset_open; with lock, a set made now is made locked. */
static int open_set(xsipc__semset *s, int lock, const char *op,
                    xsipc_status *st)
{
    int round, rc;

    for (round = 0; round < MAX_ROUNDS; round++) {
        rc = xsipc__reg_resolve_keep(s->reg, XSIPC__KIND_SEM, s->name, 1,
                                     s->keep, &s->key, st);
        if (rc < 0)
            return xsipc__status_prefix(st, op);
        rc = open_once(s, lock, op, st);
        if (rc < 0) {
            /* Qt would leave the key file it made; nothing has its key. */
            if (s->key.created)
                xsipc__reg_release(s->reg, &s->key);
            return rc;
        }
        if (rc == AGAIN)
            continue;
        /* The key came from the key file's inode; if the last user of a
         * previous set removed that file meanwhile, the next process
         * would make a new file, a new key and a second set.  Start over
         * on the current file instead.  A key file this call made, whose
         * key got a new set, cannot have been removed: only a set's last
         * user or a Qt program that made the set removes a key file. */
        if ((s->key.created && s->created) ||
            xsipc__reg_current(s->reg, &s->key))
            return 0;
        if (s->held_new) {
            xsipc_status scratch; /* this call's result is what counts */
            (void)xsipc__semset_unlock_close(s, 0, op, &scratch);
        } else {
            (void)xsipc__semset_close(s);
        }
    }
    errno = EIDRM;
    return xsipc__status_set(st, XSIPC_REMOVED,
                             "%s: the semaphore set of \"%s\" was removed "
                             "%d times while being opened",
                             op, s->qname, MAX_ROUNDS);
}

int xsipc__semset_open(xsipc__semset *s, const char *op, xsipc_status *st)
{
    return open_set(s, 0, op, st);
}

/* Whether USERS is 0 now.  The wait-for-zero semop can only fail with
 * EAGAIN (users left) or a removal; for anything else ask GETVAL. */
static int none_left(const xsipc__semset *s)
{
    struct sembuf zero = {XSIPC__SEM_USERS, 0, IPC_NOWAIT};

    if (xsipc__sys_semop(s->semid, &zero, 1) == 0)
        return 1;
    if (errno == EAGAIN || removed(errno))
        return 0;
    return xsipc__sys_semctl(s->semid, XSIPC__SEM_USERS, GETVAL, 0) == 0;
}

int xsipc__semset_close(xsipc__semset *s)
{
    struct sembuf leave = {XSIPC__SEM_USERS, -1, SEM_UNDO};
    int saved = errno;

    if (s->semid < 0)
        return 0;
    /* A Qt-made set belongs to the Qt object that made it. */
    if (s->full) {
        if (xsipc__sys_semop(s->semid, &leave, 1) < 0) {
            int left = removed(errno) && gone(s);
            errno = saved;
            if (!left)
                return -1; /* still joined: the caller may try again */
        } else if (!s->key.keep && none_left(s)) {
            /* A process may find the set between this test and IPC_RMID;
             * its next semop fails with EIDRM and it creates the set
             * again, which the retry loops here are for. */
            if (xsipc__sys_semctl(s->semid, 0, IPC_RMID, 0) == 0)
                xsipc__reg_release(s->reg, &s->key);
        }
    }
    s->semid = -1;
    errno = saved;
    return 0;
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
    errno = EAGAIN;
    if (wait == XSIPC__NOWAIT)
        return xsipc__status_set(st, XSIPC_WOULD_BLOCK,
                                 "%s: \"%s\" is held by another process", op,
                                 s->qname);
    return xsipc__status_set(st, XSIPC_TIMEOUT,
                             "%s: timed out waiting for \"%s\"", op, s->qname);
}

/* semop said EIDRM or EINVAL: when the set is really gone, forget it (our
 * undo records and our USERS unit went with it) and let the caller's loop
 * open it again; when it is still there, retry on it, since joining again
 * would count this handle twice.  Either way a round is counted. */
static int lost(xsipc__semset *s, int *round, const char *op, xsipc_status *st)
{
    if (gone(s))
        s->semid = -1;
    if (++*round < MAX_ROUNDS)
        return 0;
    errno = EIDRM;
    return xsipc__status_set(st, XSIPC_REMOVED,
                             "%s: the semaphore set of \"%s\" was removed "
                             "%d times while in use",
                             op, s->qname, MAX_ROUNDS);
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
    if (!s->full) {
        struct sembuf qt = {XSIPC__SEM_VALUE, -1, (short)(SEM_UNDO | nowait)};
        return wait_op(s, &qt, 1, wait, deadline);
    }
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
            if ((rc = open_set(s, 1, op, st)) < 0)
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
        if (!removed(errno))
            return sys_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
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
    if (removed(errno)) {
        int err = errno;
        /* Removed underneath (a Qt owner exiting): a set made anew starts
         * unlocked, so there is nothing left to release. */
        if (gone(s)) {
            s->semid = -1;
            return 0;
        }
        errno = err;
    }
    if (errno == EAGAIN)
        return xsipc__status_set(st, XSIPC_LOCK_ERROR,
                                 "%s: the lock of \"%s\" was not held: "
                                 "another process reset the semaphore",
                                 op, s->qname);
    return sys_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
}

int xsipc__semset_unlock_close(xsipc__semset *s, int keep_mark, const char *op,
                               xsipc_status *st)
{
    /* Unlock and leave, and succeed only when USERS is then 0: the kernel
     * applies all four operations or none (EAGAIN while others remain). */
    struct sembuf ops[4] = {
        {XSIPC__SEM_MARK, -1, IPC_NOWAIT},
        {XSIPC__SEM_VALUE, 1, SEM_UNDO},
        {XSIPC__SEM_USERS, -1, SEM_UNDO},
        {XSIPC__SEM_USERS, 0, IPC_NOWAIT},
    };
    struct sembuf *first = keep_mark ? &ops[1] : &ops[0];
    int saved = errno;

    if (s->semid >= 0 && s->full && !s->key.keep &&
        xsipc__sys_semop(s->semid, first, keep_mark ? 3 : 4) == 0) {
        /* As in xsipc__semset_close: a process that finds the set now
         * gets EIDRM at its next semop and makes it again. */
        if (xsipc__sys_semctl(s->semid, 0, IPC_RMID, 0) == 0)
            xsipc__reg_release(s->reg, &s->key);
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
        if (!removed(errno))
            return sys_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
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
            return xsipc__status_set(st, XSIPC_OUT_OF_RESOURCES,
                                     "%s: releasing %d on \"%s\" would "
                                     "pass the kernel's limit (SEMVMX "
                                     "32767)",
                                     op, n, s->qname);
        }
        if (!removed(errno))
            return sys_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
        if ((rc = lost(s, &round, op, st)) < 0)
            return rc;
    }
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
