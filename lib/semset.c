/* SPDX-License-Identifier: MIT */
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
 *    later calls on its id fail with EINVAL (or EIDRM); the undo entries
 *    and the USERS units of the set go with it.  A set's key is free again
 *    at once: semget(key, IPC_CREAT) then makes a new set.
 *  - sem_otime stays 0 until the first semop that succeeds on the set.
 *
 * THE LOCK-SET PROTOCOL (DESIGN.md section 5)
 *
 * Objects of one lock, for a name N: the key file F (qipc_systemsem_N) at
 * a path P, whose inode I gives the key K = ftok(F), and the set S at K.
 * A process "holds N's lock" when its take() semop succeeded on a set S
 * that it validated as F's set.  The rules every xsipc process follows:
 *
 *  R1 (make)   A set is created at K only under the registry lock, after
 *              checking that the file at P is still inode I (fstatat), and
 *              is initialised before the registry lock is let go.
 *  R2 (remove) An initialised xsipc set is removed (IPC_RMID) only by a
 *              process that holds its VALUE -- the last user leaving,
 *              which keeps the lock it holds until the set is gone, or gc
 *              and xsipc_registry_remove, which take VALUE with IPC_NOWAIT
 *              in the same semop that tests USERS == 0.  Where key files
 *              follow Qt's life cycle, the remover unlinks F in the same
 *              registry-lock hold as the IPC_RMID.  A set never
 *              initialised (sem_otime 0 once its maker let the registry
 *              lock go: the maker died) has no holder and may be removed
 *              by anyone; F is left.
 *  R3 (unlink) F is unlinked only under the registry lock, and only after
 *              its set is gone: by R2's remover, or by gc and failed
 *              creates, which test "no set at K" under the same hold.
 *  R4 (join)   A process that finds S at K by semget(K, 0, 0) (no lock)
 *              joins it (USERS + 1), then checks that P is still inode I;
 *              if not, it leaves and starts over from the name.
 *
 * Invariant A: while a set exists at K, no xsipc process unlinks a key
 * file whose key is K.  R3's unlinkers either test "no set at K" or have
 * just removed the set at K, inside one registry-lock hold, and by R1 no
 * set can appear at K during that hold.
 *
 * Invariant B: a joined set is never removed by xsipc while joined: the
 * last user's test is USERS == 0 after its own leave, gc's and remove's is
 * USERS == 0 in their taking semop, and a joined handle counts one.  A set
 * someone holds is never removed either: R2's removers hold VALUE.
 *
 * Why no two xsipc processes hold N's lock at once.  Say P1 holds S1 and
 * P2 holds S2 at one moment t.  Each checked, while its set existed, that
 * the file at P had inode I1 (I2) with S1 (S2) at its key K1 (K2): after
 * joining (R4) or when making the set (R1).  Both sets still exist at t
 * (Invariant B), so by Invariant A neither file has been unlinked since:
 * at t both are the one file at P, I1 = I2 and K1 = K2, and a key has at
 * most one set: S1 = S2.  On one set VALUE is a binary semaphore (1 =
 * free), so only one take succeeds until the matching give, or the
 * holder's exit undoes it.
 *
 * The windows this closes:
 *  - the last user used to unlock and only then remove the set: a joiner
 *    could take the lock in between and be left holding a removed set
 *    while a third process made a new one.  Now the remover still holds
 *    VALUE at IPC_RMID, so the joiner's take can only fail with EIDRM.
 *  - the last user used to remove the set and, a few calls later, unlink
 *    F: a creator could make a new set at the old key in between, then
 *    lose its key file, while a third process made a new file, key and
 *    set.  Now IPC_RMID and unlink are one registry-lock hold, and R1
 *    re-checks F under that lock before making a set.
 *
 * Crashes: a process killed at any point leaves a state the rules accept.
 * Killed holding VALUE: the kernel undoes VALUE, MARK stays 1, and the next
 * holder is told (XSIPC_OWNER_DIED).  Killed between the last user's test
 * and IPC_RMID: a set with USERS 0 and a key file; the next user joins it,
 * gc reaps it.  Killed between IPC_RMID and unlink: a key file with no
 * set, which the next user fills (R1) or gc removes (R3).  Killed between
 * semget and the initialising semop: R2's last case.  The registry lock is
 * an flock, released by the kernel with the process.
 *
 * What this cannot cover: Qt programs follow their own protocol.  A Qt
 * object that made the set removes it, and its key file, when destroyed,
 * even while someone holds it, and Qt's create() resets the value; an
 * xsipc holder is then exposed exactly as a Qt holder would be.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

/* How often a set removed underneath is re-created before giving up. */
#define MAX_ROUNDS 64

/* open_once's "the set went away between two calls: start again". */
#define AGAIN 1

void xsipc__semset_init(xsipc__semset *s, xsipc_registry *reg, const char *name,
                        int initial)
{
    memset(s, 0, sizeof *s);
    s->reg = reg;
    s->name = name;
    xsipc__status_name(name, s->qname);
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

    (void)xsipc__status_named(st, code, op, s->qname, xsipc__reg_dir(s->reg),
                              s->key.file, "%s failed for key 0x%08x: %s%s",
                              xsipc__sys_name(call), (unsigned)s->key.key,
                              strerror(err), xsipc__sys_limit(call, err));
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
 * R2's last case: an xsipc set with sem_otime 0 is being made by a process
 * that holds the registry lock (R1), or was left by one that died between
 * semget and the initialising semop; its VALUE 0 would keep every lock
 * waiting.  Once the registry lock can be had, its maker is done or dead:
 * a set still untouched then has never been held by anyone and is removed
 * (a maker that merely lost the lock first sees EIDRM and starts again).
 * Returns 1 when the set is initialised, 0 when it is gone, or -error.
 */
static int settled(xsipc__semset *s, int id, struct semid_ds *ds,
                   xsipc_status *st)
{
    int lockfd = xsipc__reg_lock(s->reg, st);

    if (lockfd < 0)
        return lockfd;
    if (xsipc__sys_semctl_stat(id, ds) == 0 && ds->sem_otime == 0)
        (void)xsipc__sys_semctl(id, 0, IPC_RMID, 0);
    xsipc__reg_unlock(lockfd);
    return xsipc__sys_semctl_stat(id, ds) == 0 && ds->sem_otime != 0;
}

/* Joins the set id found at our key (R4 is checked by the caller). */
static int join_found(xsipc__semset *s, int id, const char *op,
                      xsipc_status *st)
{
    struct semid_ds ds;
    int rc;

    if (xsipc__sys_semctl_stat(id, &ds) < 0)
        return removed(errno)
                   ? AGAIN
                   : sys_fail(s, XSIPC__SYS_SEMCTL, errno, 0, op, st);
    /* Anyone may create a set at a key they can predict; one owned by a
     * stranger could feed us values or break our lock at will. */
    if (!xsipc__reg_trusted(s->reg, ds.sem_perm.uid)) {
        errno = EPERM;
        return xsipc__status_named(
            st, XSIPC_UNTRUSTED, op, s->qname, xsipc__reg_dir(s->reg),
            s->key.file,
            "the semaphore set at key 0x%08x belongs to uid %u, not to us "
            "(uid %u), root or a trusted user",
            (unsigned)s->key.key, (unsigned)ds.sem_perm.uid,
            (unsigned)geteuid());
    }
    s->full = ds.sem_nsems >= XSIPC__SEM_NSEMS;
    if (s->full && ds.sem_otime == 0 && (rc = settled(s, id, &ds, st)) <= 0)
        return rc < 0 ? rc : AGAIN;
    s->created = 0;
    /* A Qt set no semop has touched yet: see revive(). */
    s->qt_fresh = !s->full && ds.sem_otime == 0;
    if (s->full) {
        rc = join(s, id, op, st);
        if (rc != 0)
            return rc;
    }
    arm(s, id);
    return 0;
}

/* Makes the set under the registry lock (R1); with lock, a set made now
 * is made locked (s->held_new says so).  AGAIN when the key file is not
 * the one the key came from any more, or a set appeared meanwhile. */
static int make_set(xsipc__semset *s, int lock, const char *op,
                    xsipc_status *st)
{
    /* VALUE += initial and USERS += 1 in one step.  A lock wanted at once
     * (xsipc__semset_lock) is taken in the same semop: the kernel applies
     * the operations of one semop in order, so VALUE goes up and down
     * again with our undo entry, and MARK (0 in a new set) is set, exactly
     * as take() leaves them. */
    struct sembuf init[4] = {
        {XSIPC__SEM_VALUE, (short)s->initial, 0},
        {XSIPC__SEM_USERS, 1, SEM_UNDO},
        {XSIPC__SEM_VALUE, -1, SEM_UNDO},
        {XSIPC__SEM_MARK, 1, 0},
    };
    size_t n = lock && s->initial >= 1 ? 4 : 2;
    /* The owner's execute bit, which no System V call looks at, marks a
     * set made to outlive its users, so that gc can tell it from an
     * orphan without a key file to ask. */
    int mode =
        (int)xsipc__reg_obj_mode(s->reg) | (s->keep ? XSIPC__MODE_KEEP : 0);
    int lockfd, id, err;

    if ((lockfd = xsipc__reg_lock(s->reg, st)) < 0)
        return lockfd;
    if (!xsipc__reg_current(s->reg, &s->key)) {
        xsipc__reg_unlock(lockfd);
        return AGAIN;
    }
    id = xsipc__sys_semget(s->key.key, XSIPC__SEM_NSEMS,
                           mode | IPC_CREAT | IPC_EXCL);
    if (id < 0) {
        err = errno;
        xsipc__reg_unlock(lockfd);
        if (err == EEXIST)
            return AGAIN; /* made meanwhile (by Qt): join it */
        return sys_fail(s, XSIPC__SYS_SEMGET, err, 1, op, st);
    }
    if (xsipc__sys_semop(id, init, n) < 0) {
        err = errno;
        /* Never leave a set that nobody will initialise: its VALUE 0
         * would keep every later lock waiting. */
        (void)xsipc__sys_semctl(id, 0, IPC_RMID, 0);
        xsipc__reg_unlock(lockfd);
        if (removed(err))
            return AGAIN;
        return sys_fail(s, XSIPC__SYS_SEMOP, err, 1, op, st);
    }
    xsipc__reg_unlock(lockfd);
    s->full = 1;
    s->created = 1;
    s->qt_fresh = 0;
    s->held_new = n == 4;
    arm(s, id);
    return 0;
}

/* Finds and joins the set at our key, or makes it. */
static int open_once(xsipc__semset *s, int lock, const char *op,
                     xsipc_status *st)
{
    int id;

    s->held_new = 0;
    /* No permission bits asked for here: the kernel checks them on each
     * semop, which gives the clearer error. */
    id = xsipc__sys_semget(s->key.key, 0, 0);
    if (id >= 0)
        return join_found(s, id, op, st);
    if (errno != ENOENT)
        return sys_fail(s, XSIPC__SYS_SEMGET, errno, 0, op, st);
    return make_set(s, lock, op, st);
}

/* Leaves the set without removing it: a set found at a key whose file has
 * changed may be another name's now (a reused inode), never ours to
 * reap. */
static void leave_only(xsipc__semset *s)
{
    struct sembuf leave = {XSIPC__SEM_USERS, -1, SEM_UNDO};
    int saved = errno;

    if (s->full)
        (void)xsipc__sys_semop(s->semid, &leave, 1);
    s->semid = -1;
    errno = saved;
}

/* Removes a key file this call made when no set has its key (R3). */
static void drop_new_file(xsipc__semset *s)
{
    int lockfd, saved = errno;

    if (!s->key.created || (lockfd = xsipc__reg_lock(s->reg, NULL)) < 0)
        return;
    /* A plain query outside the seam, as xsipc__probe_key_in_use: it
     * changes nothing, and an injected failure must not keep litter. */
    if (semget(s->key.key, 0, 0) < 0 && errno == ENOENT)
        xsipc__reg_drop_new_locked(s->reg, &s->key);
    xsipc__reg_unlock(lockfd);
    errno = saved;
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
            drop_new_file(s);
            return rc;
        }
        if (rc == AGAIN)
            continue;
        /* R1 checked the file of a set made now; R4: a set found is ours
         * only while the file its key came from is still in place. */
        if (s->created || xsipc__reg_current(s->reg, &s->key))
            return 0;
        leave_only(s);
    }
    errno = EIDRM;
    return xsipc__status_named(st, XSIPC_REMOVED, op, s->qname,
                               xsipc__reg_dir(s->reg), s->key.file,
                               "the semaphore set was removed %d times while "
                               "being opened",
                               MAX_ROUNDS);
}

int xsipc__semset_open(xsipc__semset *s, const char *op, xsipc_status *st)
{
    return open_set(s, 0, op, st);
}

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
        int left = removed(errno) && gone(s);
        errno = saved;
        if (!left)
            return -1; /* still joined: the caller may try again */
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
    if (gone(s))
        s->semid = -1;
    if (++*round < MAX_ROUNDS)
        return 0;
    errno = EIDRM;
    return xsipc__status_named(st, XSIPC_REMOVED, op, s->qname,
                               xsipc__reg_dir(s->reg), s->key.file,
                               "the semaphore set was removed %d times while "
                               "in use",
                               MAX_ROUNDS);
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
        return xsipc__status_named(st, XSIPC_LOCK_ERROR, op, s->qname,
                                   xsipc__reg_dir(s->reg), s->key.file,
                                   "the lock was not held: another process "
                                   "reset the semaphore");
    return sys_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
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
            return xsipc__status_named(st, XSIPC_OUT_OF_RESOURCES, op, s->qname,
                                       xsipc__reg_dir(s->reg), s->key.file,
                                       "releasing %d would pass the kernel's "
                                       "limit (SEMVMX 32767)",
                                       n);
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
