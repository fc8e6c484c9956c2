/* SPDX-License-Identifier: MIT */
/*
 * shm.h -- what the parts of xsipc_shm share (private): shm.c (the
 * handle: its key, its lock, its accessors), native.c (a native key's
 * path and directory), segment.c (creating and attaching its segment)
 * and detach.c (detaching it).
 */
#ifndef XSIPC_SHM_H
#define XSIPC_SHM_H

#include "private.h"

/*
 * The lock path's precomputed state: the set's id in fast_lock while the
 * handle is attached and does not hold the lock, in fast_unlock while it
 * does; -1 otherwise.  Every call that can change the handle's state or
 * its set's id ends here, so xsipc_shm_lock and xsipc_shm_unlock test one
 * field before their one system call.  Returns rc.
 */
static inline int xsipc__shm_fresh(xsipc_shm *shm, int rc)
{
    int id = shm != NULL && shm->shmid >= 0 ? shm->lock.semid : -1;

    if (shm != NULL) {
        shm->fast_lock = shm->locked ? -1 : id;
        shm->fast_unlock = shm->locked ? id : -1;
    }
    return rc;
}

/* xsipc_shm_detach; with leave, the handle's end (free, or a new key):
 * its lock set is left too, in the same semop as the unlock for the last
 * user.  Without, the set stays joined for the next create or attach. */
int xsipc__shm_detach(xsipc_shm *shm, int leave);

/* A System V call (call, errno err; creating: a create's shmget) failed:
 * maps err and names the segment in shm->err (segment.c).  Returns
 * -error. */
int xsipc__shm_sys_fail(xsipc_shm *shm, const char *op, xsipc__sys_call call,
                        int err, int creating);

/* Takes the lock around create/attach/detach, as Qt does (a handle whose
 * caller holds it already works under that; segment.c).  Returns 0,
 * XSIPC_OWNER_DIED or -error. */
int xsipc__shm_lock_for(xsipc_shm *shm, const char *op);

/* Releases what xsipc__shm_lock_for took (held: its answer); an
 * owner-died report is kept for the next xsipc_shm_lock (segment.c). */
void xsipc__shm_unlock_for(xsipc_shm *shm, int held, const char *op);

/* Without a key because the last one given was refused: that reason,
 * kept in the handle, made the handle's error again; returns -its code.
 * 0 when the handle has a key, or none was given. */
int xsipc__shm_refused(xsipc_shm *shm);

/* Without a key: the reason the last key was refused, kept in the
 * handle, or "no key is set" when none was given (code, "op: no key is
 * set" what).  Returns -code. */
int xsipc__shm_no_key(xsipc_shm *shm, xsipc_error code, const char *op,
                      const char *what);

/* Gives the handle (its name set) its key file: file (shorter than
 * NAME_MAX) in reg, whose reference it takes; k, when not NULL, is the key
 * as the process's table of lookups gave it, else the key starts from file
 * alone.  On failure reg is closed and the handle keeps no registry
 * (shm.c). */
int xsipc__shm_install_path(xsipc_shm *shm, xsipc_registry *reg,
                            const char *file, const xsipc__key *k);

/* Sets path as the native key of a handle that has no key (op names the
 * call), or refuses it with the reason in shm->err: a directory's path,
 * parts over PATH_MAX or NAME_MAX.  Opens nothing (native.c). */
int xsipc__shm_native_set(xsipc_shm *shm, const char *path, const char *op);

/*
 * For a native key, before a create, attach or lock that is not attached
 * and does not hold the lock: opens the directory its path names now
 * (relative to the working directory of the moment, as Qt uses the path
 * at each call), or keeps the one an earlier call opened while the path
 * still names it.  missing: the code when the directory is not there --
 * Qt's, XSIPC_KEY_ERROR for a create (the key file cannot be made),
 * XSIPC_NOT_FOUND for an attach (native.c).  0 (nothing to do for a
 * name), or -error in shm->err.
 */
int xsipc__shm_native_dir(xsipc_shm *shm, const char *op, xsipc_error missing);

#endif /* XSIPC_SHM_H */
