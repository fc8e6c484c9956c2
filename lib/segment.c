/* SPDX-License-Identifier: MIT */
/*
 * segment.c -- an xsipc_shm's segment: create and attach, as QSharedMemory
 * does them (detach is detach.c's, the handle itself shm.c's), and what
 * detach.c shares with them: a System V failure's message, and the lock
 * taken and released around each call.
 *
 * The protocol is Qt's, step for step, so that a Qt program and a C program
 * can take turns on one segment:
 *   create: key file, lock, shmget(IPC_CREAT|IPC_EXCL), shmat, unlock.
 *   attach: lock, shmget(key, 0), IPC_STAT for the size, shmat, unlock.
 *   detach: lock, shmdt, IPC_STAT; at shm_nattch 0 the segment and its key
 *           file are removed; unlock (detach.c).
 * The segment holds only the caller's bytes (no header), as with Qt; the
 * lock is Qt's qipc_systemsem_ semaphore set (see semset.h), which the
 * handle joins at its first create or attach and keeps, as a QSharedMemory
 * keeps its QSystemSemaphore, across detach and the next create or attach
 * until it is freed or given another key (semset.c: "A handle's states"):
 * a cycle of create or attach and detach on one handle takes and gives
 * the lock, and neither makes, joins, leaves nor removes a set.  The
 * segment's key is kept too (registry/resolve.c): the check every key
 * gets under the lock is what shows it still right.
 *
 * The segment id, not the key, names "our" segment once attached: after
 * IPC_RMID the kernel sets an attached segment's key to IPC_PRIVATE, and a
 * new segment may be created at the old key while we still use the old one.
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "shm.h"

/* A System V call failed: map its errno and name the segment. */
int xsipc__shm_sys_fail(xsipc_shm *shm, const char *op, xsipc__sys_call call,
                        int err, int creating)
{
    errno = err;
    return xsipc__status_named(
        &shm->err, xsipc__sys_error(call, err, creating), op, shm->qname, NULL,
        shm->native, "%s failed for key 0x%08x: %s%s", xsipc__sys_name(call),
        (unsigned)shm->key.key, strerror(err), xsipc__sys_limit(call, err));
}

/* Checks common to every operation; 0 when the handle may proceed. */
static int usable(xsipc_shm *shm, const char *op)
{
    xsipc__status_clear(&shm->err);
    if (shm->name == NULL)
        return xsipc__shm_no_key(shm, XSIPC_KEY_ERROR, op, "");
    return 0;
}

/* Takes the lock around create/attach/detach, as Qt does (a handle whose
 * caller holds it already works under that).  Returns 0, XSIPC_OWNER_DIED
 * or -error. */
int xsipc__shm_lock_for(xsipc_shm *shm, const char *op)
{
    if (shm->locked)
        return 0;
    return xsipc__semset_lock(&shm->lock, XSIPC__WAIT, NULL, op, &shm->err);
}

/* Releases what xsipc__shm_lock_for took.  An owner-died report is no use
 * to these calls (they touch no data), so it is kept for the next
 * xsipc_shm_lock by releasing VALUE with MARK left set. */
void xsipc__shm_unlock_for(xsipc_shm *shm, int held, const char *op)
{
    xsipc_status scratch; /* the operation's own result is what counts */
    int tries;

    if (shm->locked)
        return; /* the caller's lock, kept */
    /* The +1 cannot fail for want of room (the lock's -1 made the undo
     * entry), so a failure is transient: try again, and if the kernel
     * still refuses, the handle keeps the lock for a later unlock or
     * detach to release, rather than leaving it held by nobody. */
    for (tries = 0; tries < 3; tries++)
        if (xsipc__semset_unlock(&shm->lock, held == XSIPC_OWNER_DIED, op,
                                 &scratch) == 0 ||
            scratch.code == XSIPC_LOCK_ERROR)
            return;
    shm->locked = 1;
}

/* Releases what xsipc__shm_lock_for took.  The lock set stays joined: it
 * goes with the handle (free, or a new key), see semset.c. */
static void let_go(xsipc_shm *shm, int held, const char *op)
{
    xsipc__shm_unlock_for(shm, held, op);
}

/* Removes the key file this call made when no segment has its key, under
 * the registry lock (regfd, or taken here when it is -1): segments are
 * made only under it (create()), so none can appear between the test and
 * the unlink, and a failed create leaves nothing behind even when it
 * could not take the name's lock. */
static void drop_new_key_file(xsipc_shm *shm, int regfd)
{
    int fd = regfd, saved = errno;

    if (!shm->key.created ||
        (fd < 0 && (fd = xsipc__reg_lock(shm->reg, NULL)) < 0))
        return;
    /* A plain query outside the seam: see drop_new_file in semset.c. */
    if (shmget(shm->key.key, 0, 0) < 0 && errno == ENOENT)
        xsipc__reg_drop_new_locked(shm->reg, &shm->key);
    if (regfd < 0)
        xsipc__reg_unlock(fd);
    errno = saved;
}

/* Undoes a failed create/attach: a key file this call made goes, the
 * registry lock (regfd >= 0) and the name's lock (held >= 0) are let go,
 * and a lock set this call joined is left (one the handle had joined
 * before stays, as after a detach; one the caller holds stays too). */
static int abandon(xsipc_shm *shm, int held, int rc, const char *op, int regfd)
{
    xsipc_status keep = shm->err;

    drop_new_key_file(shm, regfd);
    if (regfd >= 0)
        xsipc__reg_unlock(regfd);
    if (held >= 0)
        xsipc__shm_unlock_for(shm, held, op);
    if (!shm->locked && !shm->set_kept)
        (void)xsipc__semset_close(&shm->lock);
    shm->shmid = -1;
    shm->addr = NULL;
    shm->size = 0;
    shm->err = keep;
    return rc;
}

/* shmat and IPC_STAT on shmid; fills addr and size.  made: the size of a
 * segment this call has just made with IPC_EXCL, which is ours and of
 * exactly that size (shm_segsz is the size asked for), so it is not asked
 * again; 0 for one found. */
static int map(xsipc_shm *shm, int shmid, xsipc_access access, size_t made,
               const char *op)
{
    struct shmid_ds ds;
    void *addr;

    if (made != 0) {
        ds.shm_segsz = made; /* and it is ours: made by us, now */
    } else if (xsipc__sys_shmctl(shmid, IPC_STAT, &ds) < 0) {
        return xsipc__shm_sys_fail(shm, op, XSIPC__SYS_SHMCTL, errno, 0);
    }
    /* Whoever can guess the key can create the segment first; one owned
     * by a stranger could be read or rewritten by them at any time. */
    if (made == 0 && !xsipc__reg_trusted(shm->reg, ds.shm_perm.uid)) {
        errno = EPERM;
        return xsipc__status_named(
            &shm->err, XSIPC_UNTRUSTED, op, shm->qname, NULL, shm->native,
            "the segment at key 0x%08x belongs to uid %u, not to us (uid %u), "
            "root or a trusted user",
            (unsigned)shm->key.key, (unsigned)ds.shm_perm.uid,
            (unsigned)geteuid());
    }
    addr = xsipc__sys_shmat(shmid, access == XSIPC_READ_ONLY ? SHM_RDONLY : 0);
    if (addr == (void *)-1)
        return xsipc__shm_sys_fail(shm, op, XSIPC__SYS_SHMAT, errno, 0);
    shm->shmid = shmid;
    shm->addr = addr;
    shm->size = ds.shm_segsz; /* the kernel's word, never a caller's */
    shm->access = access;
    return 0;
}

/* Checks shared by create and attach; missing: the error when a native
 * key's directory is not there (see xsipc__shm_native_dir). */
static int may_map(xsipc_shm *shm, xsipc_access access, const char *op,
                   xsipc_error missing)
{
    int rc = usable(shm, op);

    if (rc < 0)
        return rc;
    if (shm->shmid >= 0)
        return xsipc__status_named(&shm->err, XSIPC_ALREADY_ATTACHED, op,
                                   shm->qname, NULL, shm->native,
                                   "this handle is already attached");
    if (access != XSIPC_READ_ONLY && access != XSIPC_READ_WRITE)
        return xsipc__status_set(
            &shm->err, XSIPC_INVALID_ARGUMENT,
            "%s: access mode %d is neither XSIPC_READ_ONLY nor "
            "XSIPC_READ_WRITE",
            op, (int)access);
    return xsipc__shm_native_dir(shm, op, missing);
}

/*
 * The segment at our key, if any: its id (-1 when there is none) and
 * whether it is stale -- left by a crash: no process attached, owned by
 * us, and its creator gone (a reused pid does not count as the creator).
 * Anything else at the key (live, foreign, unreadable) is not ours to
 * take, and create reports XSIPC_ALREADY_EXISTS.
 */
static int stale_segment(const xsipc_shm *shm, int *id)
{
    struct shmid_ds ds;

    /* Flags 0: no permission is asked for, so a stranger's segment is
     * found too (and its IPC_STAT then fails: not stale). */
    *id = xsipc__sys_shmget(shm->key.key, 0, 0);
    if (*id < 0 || xsipc__sys_shmctl(*id, IPC_STAT, &ds) < 0)
        return 0;
    return ds.shm_nattch == 0 && !shm->key.keep &&
           ds.shm_perm.uid == geteuid() &&
           xsipc__proc_gone(ds.shm_cpid, ds.shm_ctime);
}

static int already_exists(xsipc_shm *shm, const char *op)
{
    errno = EEXIST;
    return xsipc__status_named(
        &shm->err, XSIPC_ALREADY_EXISTS, op, shm->qname, NULL, shm->native,
        "a segment already exists at key 0x%08x", (unsigned)shm->key.key);
}

/* shmget(IPC_CREAT|IPC_EXCL), reclaiming a stale segment once. */
static int make_segment(xsipc_shm *shm, size_t size, const char *op)
{
    int id, old, reclaimed = 0;

    for (;;) {
        /* A segment made to outlive its users carries the owner's
         * execute bit, so that gc never takes it for an orphan. */
        id = xsipc__sys_shmget(shm->key.key, size,
                               (int)xsipc__reg_obj_mode(shm->reg) |
                                   (shm->keep ? XSIPC__MODE_KEEP : 0) |
                                   shm->mode_extra | IPC_CREAT | IPC_EXCL);
        if (id >= 0)
            return id;
        if (errno == EINVAL) /* only the size can be wrong here */
            return xsipc__status_named(
                &shm->err, XSIPC_INVALID_SIZE, op, shm->qname, NULL,
                shm->native,
                "size %zu is outside the kernel's limits (SHMMIN..SHMMAX, "
                "see /proc/sys/kernel/shmmax)",
                size);
        if (errno != EEXIST)
            return xsipc__shm_sys_fail(shm, op, XSIPC__SYS_SHMGET, errno, 1);
        /* Qt fails here for good after a crash; a stale segment is
         * removed (under the lock, so no xsipc or Qt peer is attaching
         * it) and the create made again. */
        if (reclaimed || !stale_segment(shm, &old))
            return already_exists(shm, op);
        if (xsipc__sys_shmctl(old, IPC_RMID, NULL) < 0)
            return xsipc__shm_sys_fail(shm, op, XSIPC__SYS_SHMCTL, errno, 0);
        reclaimed = 1;
    }
}

/* lock_for_create's answer: the lock is held by someone else. */
#define BUSY (-1000)

/*
 * xsipc__shm_lock_for, for a create of a name whose key file exists
 * (probe): a live segment must answer at once rather than wait for the
 * lock (Qt's create waits, then fails), and before anything the lock says.
 * The lock is tried without waiting first: when it can be had (the common
 * case) it is taken, and the creating shmget itself, made under it, says
 * whether a segment is there -- no query beforehand.  When it cannot
 * (someone holds it, or taking it fails: a stranger's set, say), BUSY: the
 * caller asks the kernel about a segment, then takes the lock as
 * xsipc__shm_lock_for does, which fails again with its own error when it
 * must.
 */
static int lock_for_create(xsipc_shm *shm, int probe, const char *op)
{
    xsipc_status scratch;
    int rc;

    if (!probe || shm->locked)
        return xsipc__shm_lock_for(shm, op);
    rc = xsipc__semset_lock(&shm->lock, XSIPC__NOWAIT, NULL, op, &scratch);
    return rc < 0 ? BUSY : rc;
}

/*
 * Resolves the key file and takes the lock.  The key must come from the
 * file current under the lock: a last user may have removed the file (under
 * the lock) after we resolved it, and a segment made from the old inode's
 * key would be one nobody finds, or a second one under the same name.
 * With regfd (create), the registry lock is taken too, before that check:
 * a segment is made only under it, so that gc and failed creates, which
 * unlink a key file only under it after seeing no segment at its key,
 * never unlink one under a new segment (semset.c's R1 and R3, for
 * segments).  A key file a create must make is made in that same hold,
 * under the name's lock, as Qt makes it under its lock: one registry-lock
 * hold makes the key file and the segment, and the key is current by
 * construction.  Returns 0 or XSIPC_OWNER_DIED with the lock held, or
 * -error with the handle clean.  For create, a live segment answers at
 * once without the lock: a create racing a holder must not wait for it
 * (Qt's waits, then fails; see lock_for_create).
 */
static int lock_key(xsipc_shm *shm, int creating, const char *op, int *regfd)
{
    int round, rc, held, old, cached, missing;

    for (round = 0; round < 64; round++) {
        /* A key this handle resolved before is not looked up again: the
         * check under the locks below, which every key needs anyway, is
         * one fstatat that shows the key file unchanged (registry/
         * resolve.c), or drops the cache for a full lookup. */
        cached = xsipc__reg_key_recall(shm->reg, XSIPC__KIND_SHM, shm->name,
                                       &shm->key);
        missing = 0;
        if (!cached) {
            rc = xsipc__reg_lookup_key(shm->reg, XSIPC__KIND_SHM, shm->name,
                                       creating && shm->keep, &shm->key,
                                       &shm->err);
            if (rc == -XSIPC_NOT_FOUND && !creating)
                return xsipc__status_named(&shm->err, XSIPC_NOT_FOUND, op,
                                           shm->qname, NULL, shm->native,
                                           "no segment (no key file)");
            /* A Qt-made key file on another name's claimed key: a create
             * makes it again under the locks (registry/make.c), as a
             * missing one; an attach refuses it. */
            if (rc == -XSIPC_NOT_FOUND ||
                (rc == -XSIPC_KEY_COLLISION && creating))
                missing = 1; /* made below, under the locks */
            else if (rc < 0)
                return xsipc__status_prefix(&shm->err, op);
        } else {
            shm->key.created = 0;
        }
        /* A lock set made now, for a create, keeps its registry-lock hold
         * for the segment (semset.c, make_set). */
        shm->lock.want_reglock = regfd != NULL;
        held = lock_for_create(shm, creating && !missing, op);
        shm->lock.want_reglock = 0;
        if (held == BUSY) {
            /* The lock is held: a live segment answers at once.  (A name
             * with no key file needs no such look: a key file made now has
             * a key no object held, registry/make.c.)  A cached key is the
             * file's only once the file says so. */
            if (!stale_segment(shm, &old) && old >= 0) {
                if (!cached || xsipc__reg_still(shm->reg, &shm->key))
                    return abandon(shm, -1, already_exists(shm, op), op, -1);
                xsipc__reg_key_forget(shm->reg, &shm->key);
                continue;
            }
            shm->lock.want_reglock = regfd != NULL;
            held = xsipc__shm_lock_for(shm, op);
            shm->lock.want_reglock = 0;
        }
        if (held < 0)
            return abandon(shm, held, held, op, -1);
        if (regfd != NULL && shm->lock.reglock >= 0) {
            *regfd = shm->lock.reglock;
            shm->lock.reglock = -1;
        } else if (regfd != NULL &&
                   (*regfd = xsipc__reg_lock(shm->reg, &shm->err)) < 0) {
            return abandon(shm, held, xsipc__status_prefix(&shm->err, op), op,
                           -1);
        }
        if (missing) {
            rc = xsipc__reg_resolve_locked(shm->reg, XSIPC__KIND_SHM, shm->name,
                                           shm->keep, &shm->key, &shm->err);
            if (rc < 0)
                return abandon(shm, held, xsipc__status_prefix(&shm->err, op),
                               op, *regfd);
            return held;
        }
        if (xsipc__reg_still(shm->reg, &shm->key))
            return held;
        xsipc__reg_key_forget(shm->reg, &shm->key);
        if (regfd != NULL) {
            xsipc__reg_unlock(*regfd);
            *regfd = -1;
        }
        let_go(shm, held, op);
    }
    errno = ESTALE;
    return xsipc__status_named(&shm->err, XSIPC_REMOVED, op, shm->qname, NULL,
                               shm->native,
                               "the key file was replaced %d times while "
                               "being opened",
                               round);
}

/*
 * A persistent segment needs a key file whose record says so, and a record
 * is written once.  An unmarked key file that no segment uses (we hold the
 * lock and the registry lock: none can appear) is removed and made again
 * with the mark; one in use means the name is taken.  Returns the lock
 * state, or -error with the handle clean and *regfd let go.
 */
static int renew_key(xsipc_shm *shm, int held, const char *op, int *regfd)
{
    int id = xsipc__sys_shmget(shm->key.key, 0, 0);

    if (id >= 0 || errno != ENOENT)
        return abandon(shm, held, already_exists(shm, op), op, *regfd);
    if (xsipc__reg_remove_locked(shm->reg, &shm->key, &shm->err) < 0)
        return abandon(shm, held, xsipc__status_prefix(&shm->err, op), op,
                       *regfd);
    xsipc__reg_key_forget(shm->reg, &shm->key);
    xsipc__reg_unlock(*regfd);
    *regfd = -1;
    let_go(shm, held, op);
    held = lock_key(shm, 1, op, regfd);
    if (held >= 0 && !shm->key.keep) /* someone made it unmarked again */
        return abandon(shm, held, already_exists(shm, op), op, *regfd);
    return held;
}

static int create(xsipc_shm *shm, size_t size, xsipc_access access)
{
    static const char op[] = "xsipc_shm_create";
    int rc, id, held, regfd = -1;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = may_map(shm, access, op, XSIPC_KEY_ERROR)) < 0)
        return rc;
    shm->set_kept = shm->lock.semid >= 0;
    if (size == 0)
        return xsipc__status_named(&shm->err, XSIPC_INVALID_SIZE, op,
                                   shm->qname, NULL, shm->native,
                                   "size 0: a segment needs at least one byte");
    if ((held = lock_key(shm, 1, op, &regfd)) < 0)
        return held;
    if (shm->keep && !shm->key.keep &&
        (held = renew_key(shm, held, op, &regfd)) < 0)
        return held;
    if ((id = make_segment(shm, size, op)) < 0)
        return abandon(shm, held, id, op, regfd);
    xsipc__reg_unlock(regfd);
    if ((rc = map(shm, id, access, size, op)) < 0) {
        (void)xsipc__sys_shmctl(id, IPC_RMID, NULL);
        return abandon(shm, held, rc, op, -1);
    }
    /* A dead owner's report inherited here guarded a segment that is no
     * more (the new one was made with IPC_EXCL): it goes. */
    xsipc__shm_unlock_for(shm, 0, op);
    shm->key.used = shm->lock.key.used = 1;
    return 0;
}

static int attach(xsipc_shm *shm, xsipc_access access)
{
    static const char op[] = "xsipc_shm_attach";
    int rc, id, held;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = may_map(shm, access, op, XSIPC_NOT_FOUND)) < 0)
        return rc;
    shm->set_kept = shm->lock.semid >= 0;
    if ((held = lock_key(shm, 0, op, NULL)) < 0)
        return held;
    id = xsipc__sys_shmget(shm->key.key, 0,
                           access == XSIPC_READ_ONLY ? 0400 : 0600);
    if (id < 0) {
        int err = errno;
        if (err == ENOENT)
            rc = xsipc__status_named(
                &shm->err, XSIPC_NOT_FOUND, op, shm->qname, NULL, shm->native,
                "no segment at key 0x%08x", (unsigned)shm->key.key);
        else
            rc = xsipc__shm_sys_fail(shm, op, XSIPC__SYS_SHMGET, err, 0);
        return abandon(shm, held, rc, op, -1);
    }
    if ((rc = map(shm, id, access, 0, op)) < 0)
        return abandon(shm, held, rc, op, -1);
    xsipc__shm_unlock_for(shm, held, op);
    shm->key.used = shm->lock.key.used = 1;
    return 0;
}

int xsipc_shm_create(xsipc_shm *shm, size_t size, xsipc_access access)
{
    return xsipc__shm_fresh(shm, create(shm, size, access));
}

int xsipc_shm_attach(xsipc_shm *shm, xsipc_access access)
{
    return xsipc__shm_fresh(shm, attach(shm, access));
}
