/* SPDX-License-Identifier: MIT */
/*
 * detach.c -- an xsipc_shm's detach, as QSharedMemory does it (create and
 * attach are segment.c's, the handle itself shm.c's), step for step with
 * Qt's (see segment.c), so that a Qt program and a C program can take
 * turns on one segment:
 *   detach: lock, shmdt, IPC_STAT; at shm_nattch 0 the segment and its key
 *           file are removed; unlock.
 * The lock is released -- the caller's too, as Qt's detach releases it.
 * The lock set stays joined for the handle's next create or attach, as a
 * QSharedMemory keeps its QSystemSemaphore (semset.c: "A handle's
 * states"); at the handle's end (free, or a new key) it is left too, and
 * for its last user the unlock, the leaving and the test that it is the
 * last are one semop (semset.c's R2).
 *
 * The segment id, not the key, names "our" segment once attached: after
 * IPC_RMID the kernel sets an attached segment's key to IPC_PRIVATE, and a
 * new segment may be created at the old key while we still use the old one.
 */
#include <config.h>

#include <errno.h>

#include "shm.h"

/*
 * Marks the segment removed when we are its last user, then unmaps it.
 * IPC_RMID comes first so that a failure leaves the handle attached and the
 * whole detach can be tried again (xsipc_shm_free does); the kernel
 * destroys a removed segment at its last detach, and no attach slips in
 * between because every attach takes the lock held here.
 */
static int unmap(xsipc_shm *shm, const char *op)
{
    struct shmid_ds ds;
    int last, ours;

    if (xsipc__sys_shmctl(shm->shmid, IPC_STAT, &ds) < 0)
        return xsipc__shm_sys_fail(shm, op, XSIPC__SYS_SHMCTL, errno, 0);
    /* A segment made to outlive its users stays, key file and all. */
    last = ds.shm_nattch <= 1 && !shm->key.keep;
    /* Others attached are likely to hold the lock set open too. */
    shm->lock.others = ds.shm_nattch > 1;
    /* After someone else's IPC_RMID the kernel sets the key to
     * IPC_PRIVATE, and the key file may already name a new segment; after
     * our own (a detach that failed later) the key file is still ours. */
    ours = shm->removed || ds.shm_perm.__key == shm->key.key;
    if (last && !shm->removed) {
        if (xsipc__sys_shmctl(shm->shmid, IPC_RMID, NULL) < 0)
            return xsipc__shm_sys_fail(shm, op, XSIPC__SYS_SHMCTL, errno, 0);
        shm->removed = 1;
    }
    if (xsipc__sys_shmdt(shm->addr) < 0)
        return xsipc__shm_sys_fail(shm, op, XSIPC__SYS_SHMDT, errno, 0);
    if (last && ours && xsipc__reg_follows_qt(shm->reg)) {
        /* Removed: the next create makes it anew; or kept idle for it
         * (registry/linger.c), cached key and all. */
        if (!xsipc__reg_release(shm->reg, &shm->key))
            xsipc__reg_key_forget(shm->reg, &shm->key);
    }
    return 0;
}

/*
 * After the segment is gone from the handle: the lock is released -- the
 * caller's too, as Qt's detach releases it.  With leave (the handle's end:
 * free, or a new key) the set is left as well, and for its last user the
 * unlock, the leaving and the test that it is the last are one semop (R2);
 * else the set stays joined for the handle's next create or attach.
 */
static void release_detached(xsipc_shm *shm, int held, int leave,
                             const char *op)
{
    xsipc_status scratch; /* the detach's own result is what counts */
    /* A dead owner's report inherited by this detach stays for the next
     * lock while the segment it guards stays; with the segment gone there
     * is nothing left to repair. */
    int keep_mark = !shm->locked && held == XSIPC_OWNER_DIED && !shm->removed;
    int tries;

    if (!shm->locked && held < 0) {
        if (leave)
            (void)xsipc__semset_close(&shm->lock);
        return;
    }
    /* A set the handle's end may keep (semidle.c) is only unlocked here:
     * the end keeps it, or leaves it, right after. */
    if (leave && !keep_mark && !shm->is_native &&
        xsipc__semidle_seen(&shm->lock))
        leave = 0;
    if (leave) {
        if (xsipc__semset_unlock_close(&shm->lock, keep_mark, op, &scratch) <
            0) {
            /* The unlock failed, and a lock left held would stop every
             * peer: try again, before leaving. */
            (void)xsipc__semset_unlock(&shm->lock, 0, op, &scratch);
            (void)xsipc__semset_close(&shm->lock);
        }
        shm->locked = 0;
        return;
    }
    /* As xsipc__shm_unlock_for: a failure is transient; a lock the kernel
     * still will not take back stays the handle's, for its unlock or
     * free. */
    for (tries = 0; tries < 3; tries++)
        if (xsipc__semset_unlock(&shm->lock, keep_mark, op, &scratch) == 0 ||
            scratch.code == XSIPC_LOCK_ERROR) {
            shm->locked = 0;
            return;
        }
    shm->locked = 1;
}

int xsipc__shm_detach(xsipc_shm *shm, int leave)
{
    static const char op[] = "xsipc_shm_detach";
    int rc, held = 0;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    xsipc__status_clear(&shm->err);
    if ((rc = xsipc__shm_refused(shm)) < 0)
        return rc;
    if (shm->shmid < 0 && shm->name == NULL)
        return xsipc__status_set(&shm->err, XSIPC_NOT_ATTACHED,
                                 "%s: this handle is not attached", op);
    if (shm->shmid < 0)
        return xsipc__status_named(&shm->err, XSIPC_NOT_ATTACHED, op,
                                   shm->qname, NULL, shm->native,
                                   "this handle is not attached");
    /* A handle that holds the lock detaches under it and releases it, as
     * Qt's detach does.  Without the lock (taking it failed) the detach
     * still happens; the nattch test is then only racy. */
    if (!shm->locked)
        held = xsipc__shm_lock_for(shm, op);
    rc = unmap(shm, op);
    if (rc < 0) {
        if (!shm->locked && held >= 0)
            xsipc__shm_unlock_for(shm, held, op);
        return rc; /* still attached, lock as it was: try again later */
    }
    release_detached(shm, held, leave, op);
    shm->shmid = -1;
    shm->removed = 0;
    shm->addr = NULL;
    shm->size = 0;
    return 0;
}

int xsipc_shm_detach(xsipc_shm *shm)
{
    return xsipc__shm_fresh(shm, xsipc__shm_detach(shm, 0));
}
