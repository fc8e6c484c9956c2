/* SPDX-License-Identifier: MIT */
/*
 * semset.c -- the lock-set protocol, and finding, creating and joining a
 * semaphore set (see semset.h for the layout; semclose.c leaves and
 * removes a set, semlock.c locks and counts on it).
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
 *              checking that the file at P is still inode I (fstatat), or
 *              after making F in that same hold, and is initialised
 *              before the registry lock is let go.
 *  R2 (remove) An initialised xsipc set is removed (IPC_RMID) only by a
 *              process that holds its VALUE -- the last user leaving,
 *              which keeps the lock it holds until the set is gone, or gc
 *              and xsipc_registry_remove, which take VALUE with IPC_NOWAIT
 *              in the same semop that tests USERS == 0.  Where key files
 *              follow Qt's life cycle, the remover unlinks F in the same
 *              registry-lock hold as the IPC_RMID, or keeps it idle for
 *              its process's next use of the name (registry/linger.c):
 *              F then stays with no set at K, as in a persistent registry,
 *              and whoever comes next makes the set under R1.  A set never
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
 * The checks of R1 and R4 are xsipc__reg_still: one fstatat, the inode
 * compared, and for a key the handle kept from an earlier lookup (its
 * own, or the process's table's, registry/resolve.c), the file's links,
 * owner, mode, size and ctime too, so that the key and the record taken
 * from it are still the file's.  A check that fails drops the kept key,
 * in the handle and in the table: the next round looks the name up
 * afresh.  A name with no key file gets F and S in one registry-lock hold
 * (make_set, missing), and a create that makes S there keeps the hold to
 * make its segment (lib/segment.c): it holds the name's lock by then, and
 * waits for nothing before it lets go.
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
 * A handle's states.  For its name's lock set a handle is either
 *  - not joined (semid -1): before its first create, attach or lock,
 *    after xsipc_shm_free or a new key, and after a take found its set
 *    removed (confirmed by IPC_STAT: xsipc__semset_gone); or
 *  - joined to S: it holds one USERS unit of S (Qt's sets of one
 *    semaphore count no users: the handle only knows S's id), with S
 *    validated by R4 or made by R1 when it joined.
 * It joins in whichever of create, attach or lock comes first, and stays
 * joined -- through detach, the next create or attach, lock and unlock, and
 * failed creates and attaches (a failed call leaves only a set that it
 * joined itself) -- until free or a new key leaves (the last user
 * removing S by R2), or a take finds S gone.  So besides "joined and
 * attached" and "joined and locked with no segment" there is "joined,
 * idle": no segment attached, the lock not held.  (Before, detach left
 * the set and the last detach removed it; a QSharedMemory likewise keeps
 * its QSystemSemaphore, and its key file, from its create or attach until
 * it is destroyed or given another key.)  The rules and invariants speak
 * of USERS units and VALUE, never of segments, so an idle handle is, for
 * them, a joined handle like any other:
 *  - R2 and the last-user count: USERS counts joined handles, idle or not,
 *    and SEM_UNDO takes the units of a killed process back whatever its
 *    handles were doing.  While an idle handle is joined, no other user's
 *    leave finds USERS == 0 and gc's and remove's takes fail: S stays.
 *    The idle handle becomes the last user when it leaves, at free or at
 *    a new key, and removes S as any last user does: VALUE taken in the
 *    very semop that leaves and finds USERS == 0, then IPC_RMID, then (Qt
 *    life cycle) the unlink of F in the same registry-lock hold.  The
 *    segment has its own count, shm_nattch: it and its key file still go
 *    at the last detach; only the lock set's life is now the handles'.
 *  - Invariant B holds as stated (an idle handle counts one); A is about
 *    unlinks and does not change.
 *  - An idle handle takes VALUE long after it checked S (at its join).
 *    The argument below needs only that S existed from that check to the
 *    take, whatever the time between: B keeps xsipc from removing it, and
 *    a removal by Qt makes the take itself fail with EIDRM (or EINVAL)
 *    instead of succeeding on a set no file names.  The handle then forgets
 *    S (its unit and its undo entries went with S) and joins again from
 *    the name, through R4's check or R1's making under the registry lock:
 *    the same "set removed underneath" path an attached handle always had
 *    (xsipc__semset_lock's lost(), bounded by XSIPC__SEM_ROUNDS).  That
 *    S's id stays S's is the kernel's: a removed set's id comes back only
 *    when its slot's sequence number wraps (65536 sets made in that one
 *    slot on a default kernel), as for any handle that keeps an id.
 *  - Leaving while others remain is one semop that cannot mistake a last
 *    user for one of several: USERS - 2 with IPC_NOWAIT, USERS + 1, both
 *    with SEM_UNDO (semclose.c); when it fails, the last user's semop is
 *    tried as before.
 *
 * Why no two xsipc processes hold N's lock at once.  Say P1 holds S1 and
 * P2 holds S2 at one moment t.  Each checked, while its set existed, that
 * the file at P had inode I1 (I2) with S1 (S2) at its key K1 (K2): after
 * joining (R4) or when making the set (R1), at any time before its take --
 * right before, or when the handle joined long ago and has been idle
 * since.  Both sets have existed since their checks and still exist at t
 * (Invariant B; a set removed by Qt in between fails the take, and no one
 * holds a set that is gone), so by Invariant A neither file has been
 * unlinked since its check: at t both are the one file at P, I1 = I2 and
 * K1 = K2, and a key has at most one set: S1 = S2.  On one set VALUE is a
 * binary semaphore (1 = free), so only one take succeeds until the
 * matching give, or the holder's exit undoes it.
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
 * tests/check_windows.c enters each of them, and the ones an idle handle
 * opens: an idle last user leaving at free while a joiner arrives (the
 * joiner waits on VALUE, or on the registry lock between IPC_RMID and the
 * unlink), and a set removed underneath an idle handle (its next create
 * finds the set gone and joins the one the name has now, the one another
 * process's lock then excludes).
 *
 * Crashes: a process killed at any point leaves a state the rules accept.
 * Killed holding VALUE: the kernel undoes VALUE, MARK stays 1, and the next
 * holder is told (XSIPC_OWNER_DIED).  Killed between the last user's test
 * and IPC_RMID: a set with USERS 0 and a key file; the next user joins it,
 * gc reaps it.  Killed between IPC_RMID and unlink: a key file with no
 * set, which the next user fills (R1) or gc removes (R3).  Killed between
 * semget and the initialising semop: R2's last case.  Killed with an idle
 * handle: its USERS unit is undone, as any joined handle's.  The registry
 * lock is an flock, released by the kernel with the process.
 *
 * Where the rules are kept: this file opens a set (R1 in make_set, R4 in
 * xsipc__semset_open_for, R2's last case in settled, R3 for a failed
 * create in drop_new_file);
 * semclose.c leaves and removes one (R2, and R3's unlink in remove_last);
 * semidle.c keeps a freed handle's unit on its set for the process's next
 * handle of the name (persistent registries; its K1-K4 add no rule: a
 * kept set is, for R1-R4, A and B, a set an idle handle has joined);
 * semlock.c takes and gives VALUE on a set that is open.  lib/segment.c
 * and lib/detach.c follow R1 and R3 for segments, and keep a handle's set
 * joined from its first create or attach to its free (lib/shm.c); gc and
 * removal (lib/gc.c, registry.c, orphans.c) remove sets only through
 * xsipc__semset_reap, and key files only under the registry lock after
 * seeing no object at their key.
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

/* open_once's "the set went away between two calls: start again". */
#define AGAIN 1

void xsipc__semset_init(xsipc__semset *s, xsipc_registry *reg, const char *name,
                        const char *qname, int initial)
{
    memset(s, 0, sizeof *s);
    s->reg = reg;
    s->name = name;
    xsipc__reg_key_init(&s->key);
    s->reglock = -1;
    if (qname != NULL)
        memcpy(s->qname, qname, sizeof s->qname);
    else
        xsipc__status_name(name, s->qname);
    s->semid = -1;
    s->initial = initial;
    s->undo = SEM_UNDO;
}

int xsipc__semset_gone(const xsipc__semset *s)
{
    struct semid_ds ds;

    return xsipc__sys_semctl_stat(s->semid, &ds) < 0 &&
           xsipc__semset_removed(errno);
}

int xsipc__semset_lost(const xsipc__semset *s, const char *when, const char *op,
                       xsipc_status *st)
{
    errno = EIDRM;
    return xsipc__status_named(st, XSIPC_REMOVED, op, s->qname,
                               xsipc__reg_dir(s->reg), s->key.file,
                               "the semaphore set was removed %d times while "
                               "%s",
                               XSIPC__SEM_ROUNDS, when);
}

int xsipc__semset_fail(const xsipc__semset *s, xsipc__sys_call call, int err,
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

/* The set at our key is an xsipc set: add ourselves to USERS. */
static int join(xsipc__semset *s, int id, const char *op, xsipc_status *st)
{
    struct sembuf one = {XSIPC__SEM_USERS, 1, SEM_UNDO};
    if (xsipc__sys_semop(id, &one, 1) == 0)
        return 0;
    if (xsipc__semset_removed(errno))
        return AGAIN;
    return xsipc__semset_fail(s, XSIPC__SYS_SEMOP, errno, 0, op, st);
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
        return xsipc__semset_removed(errno)
                   ? AGAIN
                   : xsipc__semset_fail(s, XSIPC__SYS_SEMCTL, errno, 0, op, st);
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
    /* A Qt set no semop has touched yet: see revive() in semlock.c. */
    s->qt_fresh = !s->full && ds.sem_otime == 0;
    if (s->full) {
        rc = join(s, id, op, st);
        if (rc != 0)
            return rc;
    }
    xsipc__semset_arm(s, id);
    return 0;
}

/* Makes the set under the registry lock (R1); with lock, a set made now
 * is made locked (s->held_new says so).  missing: the key file was not
 * there; it is made in the same registry-lock hold (so the key is current
 * by construction, and a name whose lock set must be made takes the lock
 * once, not once for the file and once for the set).  AGAIN when the key
 * file is not the one the key came from any more, or a set appeared
 * meanwhile. */
static int make_set(xsipc__semset *s, int lock, int missing, const char *op,
                    xsipc_status *st)
{
    /* VALUE += initial and USERS += 1 in one step.  A lock wanted at once
     * (xsipc__semset_lock) is taken in the same semop: the kernel applies
     * the operations of one semop in order, so VALUE goes up and down
     * again with our undo entry, and MARK (0 in a new set) is set, exactly
     * as take() (semlock.c) leaves them. */
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
    if (missing) {
        if (xsipc__reg_resolve_locked(s->reg, XSIPC__KIND_SEM, s->name, s->keep,
                                      &s->key, st) < 0) {
            xsipc__reg_unlock(lockfd);
            return xsipc__status_prefix(st, op);
        }
    } else if (!xsipc__reg_still(s->reg, &s->key)) {
        xsipc__reg_unlock(lockfd);
        xsipc__reg_key_forget(s->reg, &s->key);
        return AGAIN;
    }
    id = xsipc__sys_semget(s->key.key, s->nsems ? s->nsems : XSIPC__SEM_NSEMS,
                           mode | IPC_CREAT | IPC_EXCL);
    if (id < 0) {
        err = errno;
        xsipc__reg_unlock(lockfd);
        if (err == EEXIST)
            return AGAIN; /* made meanwhile (by Qt): join it */
        return xsipc__semset_fail(s, XSIPC__SYS_SEMGET, err, 1, op, st);
    }
    if (xsipc__sys_semop(id, init, n) < 0) {
        err = errno;
        /* Never leave a set that nobody will initialise: its VALUE 0
         * would keep every later lock waiting. */
        (void)xsipc__sys_semctl(id, 0, IPC_RMID, 0);
        xsipc__reg_unlock(lockfd);
        if (xsipc__semset_removed(err))
            return AGAIN;
        return xsipc__semset_fail(s, XSIPC__SYS_SEMOP, err, 1, op, st);
    }
    /* A create that asked for it goes on to make its segment in this very
     * hold: it holds the lock now, and waits for nothing before. */
    if (s->want_reglock && n == 4)
        s->reglock = lockfd;
    else
        xsipc__reg_unlock(lockfd);
    s->full = 1;
    s->created = 1;
    s->qt_fresh = 0;
    s->held_new = n == 4;
    xsipc__semset_arm(s, id);
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
        return xsipc__semset_fail(s, XSIPC__SYS_SEMGET, errno, 0, op, st);
    return make_set(s, lock, 0, op, st);
}

/* The key of the lock's key file: a key resolved before is taken as it is
 * (R1 and R4 check the file anyway, and a cached key is the file's only
 * while that check shows it unchanged: registry/resolve.c); else the name
 * is looked up, and *missing says the key file is not there (make_set
 * makes it with the set).  0, or -error with st set. */
static int find_key(xsipc__semset *s, int *missing, const char *op,
                    xsipc_status *st)
{
    int rc;

    *missing = 0;
    s->key.created = 0;
    if (xsipc__reg_key_recall(s->reg, XSIPC__KIND_SEM, s->name, &s->key))
        return 0;
    rc = xsipc__reg_lookup_key(s->reg, XSIPC__KIND_SEM, s->name, s->keep,
                               &s->key, st);
    if (rc == -XSIPC_NOT_FOUND) {
        *missing = 1;
        return 0;
    }
    return rc < 0 ? xsipc__status_prefix(st, op) : 0;
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

int xsipc__semset_open_for(xsipc__semset *s, int lock, const char *op,
                           xsipc_status *st)
{
    int round, rc, missing;

    for (round = 0; round < XSIPC__SEM_ROUNDS; round++) {
        if ((rc = find_key(s, &missing, op, st)) < 0)
            return rc;
        /* A set the process kept at this key (semidle.c, K2): a join with
         * the unit already had, checked as R4's below. */
        if (round == 0 && !missing && xsipc__semidle_take(s))
            rc = 0;
        else if (missing)
            rc = make_set(s, lock, 1, op, st);
        else
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
        if (s->created || xsipc__reg_still(s->reg, &s->key))
            return 0;
        xsipc__reg_key_forget(s->reg, &s->key);
        leave_only(s);
    }
    return xsipc__semset_lost(s, "being opened", op, st);
}

int xsipc__semset_open(xsipc__semset *s, const char *op, xsipc_status *st)
{
    return xsipc__semset_open_for(s, 0, op, st);
}
