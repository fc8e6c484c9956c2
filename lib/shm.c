/* SPDX-License-Identifier: MIT */
/*
 * shm.c -- xsipc_shm: a named System V segment, as QSharedMemory -- the
 * handle: its key (Qt's name, or a native key file), its lock, and what
 * it tells of itself.  A native key's path is native.c's, making and
 * attaching the segment segment.c's, detaching it detach.c's.
 *
 * The lock is Qt's qipc_systemsem_ semaphore set (see semset.h), taken and
 * released with one semop: xsipc_shm_lock and xsipc_shm_unlock test one
 * field of the handle (xsipc__shm_fresh keeps it) before their one system
 * call, and anything unusual goes to the general path.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shm.h"

int xsipc__shm_refused(xsipc_shm *shm)
{
    /* As xsipc_sem's construction error (sem.c): the reason, with its
     * message, answers every call until another key is set. */
    if (shm->name != NULL || shm->key_err.code == XSIPC_NO_ERROR)
        return 0;
    shm->err = shm->key_err;
    errno = EINVAL;
    return -(int)shm->err.code;
}

int xsipc__shm_no_key(xsipc_shm *shm, xsipc_error code, const char *op,
                      const char *what)
{
    int rc = xsipc__shm_refused(shm);

    if (rc < 0)
        return rc;
    return xsipc__status_set(&shm->err, code, "%s: no key is set%s", op, what);
}

xsipc_shm *xsipc_shm_new_in(xsipc_registry *reg, const char *key)
{
    xsipc_shm *shm = calloc(1, sizeof *shm);

    if (shm == NULL)
        return NULL;
    shm->shmid = -1;
    shm->fast_lock = shm->fast_unlock = -1;
    xsipc__semset_init(&shm->lock, NULL, NULL, NULL, 1);
    if (reg != NULL)
        shm->home = xsipc__reg_ref(reg);
    if (key != NULL) {
        /* A refusal stays in the handle, for its next call to return: the
         * constructor returns NULL only when out of memory. */
        int refused = xsipc_shm_set_key(shm, key);
        (void)refused;
    }
    return shm;
}

xsipc_shm *xsipc_shm_new(const char *key)
{
    return xsipc_shm_new_in(NULL, key);
}

/* Forgets the key (the handle is not attached, its lock set left). */
static void clear_key(xsipc_shm *shm)
{
    xsipc_registry_close(shm->reg);
    free(shm->name);
    free(shm->native);
    free(shm->given);
    shm->reg = NULL;
    shm->name = NULL;
    shm->native = NULL;
    shm->given = NULL;
    shm->is_native = 0;
    xsipc__semset_init(&shm->lock, NULL, NULL, NULL, 1);
}

/*
 * The handle's end, or its key's: detached (a detach that fails, for a
 * transient kernel error, is tried once more: a handle that cannot be
 * detached would leave the segment behind), a lock taken with no segment
 * attached (as Qt allows) released, and the lock set, which the handle
 * keeps joined from its first create, attach or lock (semset.c), left --
 * the last user removing it.
 */
static void drop_segment_and_lock(xsipc_shm *shm)
{
    xsipc_status scratch;

    if (shm->shmid >= 0 && xsipc__shm_detach(shm, 1) < 0)
        (void)xsipc__shm_detach(shm, 1);
    if (shm->shmid < 0 && shm->locked &&
        xsipc__semset_unlock_close(&shm->lock, 0, "xsipc_shm_free", &scratch) ==
            0)
        shm->locked = 0;
    /* A persistent registry's name the process cycles keeps its set,
     * joined, for the next handle (semidle.c). */
    if (!shm->locked && !shm->is_native && xsipc__semidle_keep(&shm->lock))
        return;
    if (xsipc__semset_close(&shm->lock) < 0)
        (void)xsipc__semset_close(&shm->lock);
}

/* Before a new key: detach (as Qt's setKey does) and forget the old one. */
static void drop_key(xsipc_shm *shm)
{
    drop_segment_and_lock(shm);
    xsipc__status_clear(&shm->err);
    clear_key(shm);
}

static int out_of_memory(xsipc_shm *shm)
{
    errno = ENOMEM;
    return xsipc__status_set(&shm->err, XSIPC_OUT_OF_RESOURCES,
                             "out of memory");
}

/* The key file of a handle's key (shm.h); k from registry/resolve.c. */
int xsipc__shm_install_path(xsipc_shm *shm, xsipc_registry *reg,
                            const char *file, const xsipc__key *k)
{
    size_t len = strlen(xsipc__reg_dir(reg)) + 1 + strlen(file) + 1;
    char *path = malloc(len);

    if (path == NULL) {
        xsipc_registry_close(reg);
        return out_of_memory(shm);
    }
    (void)xsipc__reg_path(reg, file, path, len);
    free(shm->native);
    shm->native = path;
    shm->reg = reg;
    /* The key file's name, hashed once for the handle's key (or not at all
     * when the process's table knew the name). */
    if (k != NULL) {
        shm->key = *k;
    } else {
        xsipc__reg_key_init(&shm->key);
        memcpy(shm->key.file, file, strlen(file) + 1);
    }
    xsipc__semset_init(&shm->lock, reg, shm->name, shm->qname, 1);
    return 0;
}

/* Installs the name key and its key file in reg, taking ownership of
 * both; the handle has no key when it fails. */
static int install_key(xsipc_shm *shm, xsipc_registry *reg, char *name,
                       const char *file, const xsipc__key *k)
{
    int rc;

    if (name == NULL) {
        xsipc_registry_close(reg);
        return out_of_memory(shm);
    }
    shm->name = name;
    xsipc__status_name(name, shm->qname);
    if ((rc = xsipc__shm_install_path(shm, reg, file, k)) < 0) {
        free(shm->name);
        shm->name = NULL;
    }
    return rc;
}

static int set_key(xsipc_shm *shm, const char *key)
{
    static const char op[] = "xsipc_shm_set_key";
    xsipc_status reg_err;
    xsipc_registry *reg;
    xsipc__key k;
    char *name;
    int rc;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if (key == NULL) {
        drop_key(shm);
        return 0;
    }
    /* The registry given at construction stays; the default one is looked
     * up again, as Qt reads the temporary directory at each setKey. */
    reg = shm->home != NULL ? xsipc__reg_ref(shm->home)
                            : xsipc__registry_default(&reg_err);
    /* As Qt's setKey: the name the handle has, in the registry it has,
     * changes nothing -- no detach, the lock kept.  (A default directory
     * that changed since gives another registry: the key is set anew.) */
    if (reg != NULL && reg == shm->reg && !shm->is_native &&
        strcmp(key, shm->name) == 0) {
        xsipc_registry_close(reg);
        xsipc__status_clear(&shm->err);
        return 0;
    }
    /* key may be the handle's own name (from xsipc_shm_key), which
     * drop_key frees. */
    name = strdup(key);
    drop_key(shm);
    if (name == NULL) {
        xsipc_registry_close(reg);
        return out_of_memory(shm);
    }
    /* A name another handle of the registry looked up comes with its file
     * name: no SHA-1.  Else the name is checked and hashed -- first, so
     * that a bad name is the error even where the registry failed too. */
    xsipc__reg_key_init(&k);
    if (reg != NULL && xsipc__reg_key_recall(reg, XSIPC__KIND_SHM, name, &k))
        return install_key(shm, reg, name, k.file, &k);
    if (k.file[0] != '\0') /* the name is known, its lookup is not */
        return install_key(shm, reg, name, k.file, NULL);
    rc = xsipc__reg_file_name(XSIPC__KIND_SHM, name, k.file, sizeof k.file,
                              &shm->err);
    if (rc < 0 || reg == NULL) {
        free(name);
        xsipc_registry_close(reg);
        if (rc >= 0)
            shm->err = reg_err;
        return xsipc__status_prefix(&shm->err, op);
    }
    return install_key(shm, reg, name, k.file, NULL);
}

static int set_native_key(xsipc_shm *shm, const char *path)
{
    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    /* As Qt's setNativeKey: the key the handle has changes nothing, not
     * even an attach. */
    if (path != NULL && shm->given != NULL && strcmp(path, shm->given) == 0) {
        xsipc__status_clear(&shm->err);
        return 0;
    }
    drop_key(shm);
    if (path == NULL)
        return 0;
    return xsipc__shm_native_set(shm, path, "xsipc_shm_set_native_key");
}

const char *xsipc_shm_key(const xsipc_shm *shm)
{
    return shm != NULL && !shm->is_native ? shm->name : NULL;
}

const char *xsipc_shm_native_key(const xsipc_shm *shm)
{
    if (shm == NULL)
        return NULL;
    /* A native key as it was set, as Qt's nativeKey(); a name's key file
     * in its registry. */
    return shm->given != NULL ? shm->given : shm->native;
}

/* Keeps the reason a key was refused, for every later call. */
static int keep_key_error(xsipc_shm *shm, int rc)
{
    if (shm != NULL)
        shm->key_err = shm->err;
    return rc;
}

int xsipc_shm_set_key(xsipc_shm *shm, const char *key)
{
    return xsipc__shm_fresh(shm, keep_key_error(shm, set_key(shm, key)));
}

int xsipc_shm_set_native_key(xsipc_shm *shm, const char *path)
{
    return xsipc__shm_fresh(shm,
                            keep_key_error(shm, set_native_key(shm, path)));
}

int xsipc_shm_set_persistent(xsipc_shm *shm, int persistent)
{
    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    /* A refused key's reason stays the handle's error (as for
     * xsipc_sem_set_undo): a setter does not replace it. */
    if (xsipc__shm_refused(shm) == 0)
        xsipc__status_clear(&shm->err);
    if (persistent != 0 && persistent != 1)
        return xsipc__status_set(&shm->err, XSIPC_INVALID_ARGUMENT,
                                 "xsipc_shm_set_persistent: %d is neither 0 "
                                 "nor 1",
                                 persistent);
    shm->keep = persistent;
    return 0;
}

int xsipc_shm_is_attached(const xsipc_shm *shm)
{
    return shm != NULL && shm->shmid >= 0;
}

void *xsipc_shm_data(xsipc_shm *shm)
{
    return shm != NULL ? shm->addr : NULL;
}

const void *xsipc_shm_const_data(const xsipc_shm *shm)
{
    return shm != NULL ? shm->addr : NULL;
}

size_t xsipc_shm_size(const xsipc_shm *shm)
{
    return shm != NULL ? shm->size : 0;
}

/* The checks before a lock; 0 when the handle may lock. */
static int may_lock(xsipc_shm *shm, const char *op)
{
    xsipc__status_clear(&shm->err);
    /* As QSharedMemory::lock(): the name's lock needs a key, not a
     * segment; with no key there is none to take, which Qt reports as
     * LockError (its semaphore has no key to acquire), and so do we.
     * (XSIPC_NOT_ATTACHED would send the caller to attach, which would
     * not help.)  A second lock by the holder is XSIPC_LOCK_ERROR too,
     * where Qt warns and returns true: the caller's count of locks and
     * unlocks has gone wrong, and saying so is kinder than an unlock that
     * later releases the lock too early. */
    if (shm->name == NULL)
        return xsipc__shm_no_key(shm, XSIPC_LOCK_ERROR, op,
                                 ", so there is no lock to take");
    if (shm->locked)
        return xsipc__status_named(&shm->err, XSIPC_LOCK_ERROR, op, shm->qname,
                                   NULL, shm->native,
                                   "the lock is already held by this handle");
    /* A native key's lock is the semaphore set of its file's name in its
     * directory (beyond Qt, whose native keys have no lock). */
    return xsipc__shm_native_dir(shm, op, XSIPC_LOCK_ERROR);
}

XSIPC__SLOW static int lock_with(xsipc_shm *shm, xsipc__wait wait,
                                 long timeout_ms, const char *op)
{
    struct timespec deadline;
    int rc;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = may_lock(shm, op)) < 0)
        return rc;
    if (wait == XSIPC__UNTIL) {
        if (timeout_ms < 0)
            return xsipc__status_set(&shm->err, XSIPC_INVALID_ARGUMENT,
                                     "%s: negative timeout %ld ms", op,
                                     timeout_ms);
        xsipc__sys_deadline(timeout_ms, &deadline);
    }
    rc = xsipc__semset_lock(&shm->lock, wait, &deadline, op, &shm->err);
    if (rc >= 0)
        shm->locked = 1;
    return rc;
}

/*
 * The lock path makes one system call and nothing else: the operations
 * were made when the set was opened.  Anything unusual -- not attached,
 * already locked, a dead owner's mark (EAGAIN), a signal, a set removed --
 * fails the fast semop without changing anything, and the general path
 * sorts it out.
 */
int xsipc_shm_lock(xsipc_shm *shm)
{
    if (shm != NULL && shm->fast_lock >= 0 &&
        xsipc__sys_semop_fast(shm->fast_lock, shm->lock.take,
                              shm->lock.ntake) == 0) {
        shm->fast_unlock = shm->fast_lock;
        shm->fast_lock = -1;
        shm->locked = 1;
        shm->err.code = XSIPC_NO_ERROR;
        return 0;
    }
    return xsipc__shm_fresh(shm,
                            lock_with(shm, XSIPC__WAIT, 0, "xsipc_shm_lock"));
}

int xsipc_shm_try_lock(xsipc_shm *shm)
{
    return xsipc__shm_fresh(
        shm, lock_with(shm, XSIPC__NOWAIT, 0, "xsipc_shm_try_lock"));
}

int xsipc_shm_lock_timeout(xsipc_shm *shm, long timeout_ms)
{
    return xsipc__shm_fresh(shm, lock_with(shm, XSIPC__UNTIL, timeout_ms,
                                           "xsipc_shm_lock_timeout"));
}

XSIPC__SLOW static int unlock(xsipc_shm *shm)
{
    static const char op[] = "xsipc_shm_unlock";
    int rc;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    xsipc__status_clear(&shm->err);
    if ((rc = xsipc__shm_refused(shm)) < 0)
        return rc;
    if (!shm->locked)
        return xsipc__status_set(&shm->err, XSIPC_LOCK_ERROR,
                                 "%s: this handle does not hold the lock", op);
    rc = xsipc__semset_unlock(&shm->lock, 0, op, &shm->err);
    /* On a failed semop the lock is still ours in the kernel: keep it, so
     * that another unlock, or detach, releases it.  LOCK_ERROR means the
     * kernel says it is not held (someone reset the semaphore). */
    if (rc == 0 || rc == -XSIPC_LOCK_ERROR)
        shm->locked = 0;
    return rc;
}

int xsipc_shm_unlock(xsipc_shm *shm)
{
    if (shm != NULL && shm->fast_unlock >= 0 &&
        xsipc__sys_semop_fast(shm->fast_unlock, shm->lock.give,
                              shm->lock.ngive) == 0) {
        shm->fast_lock = shm->fast_unlock;
        shm->fast_unlock = -1;
        shm->locked = 0;
        shm->err.code = XSIPC_NO_ERROR;
        return 0;
    }
    return xsipc__shm_fresh(shm, unlock(shm));
}

xsipc_error xsipc_shm_error(const xsipc_shm *shm)
{
    return shm != NULL ? shm->err.code : XSIPC_INVALID_ARGUMENT;
}

const char *xsipc_shm_error_string(const xsipc_shm *shm)
{
    if (shm == NULL)
        return "NULL xsipc_shm handle";
    /* The lock path clears only the code. */
    return shm->err.code != XSIPC_NO_ERROR ? shm->err.text : "";
}

void xsipc_shm_free(xsipc_shm *shm)
{
    int saved = errno;

    if (shm == NULL)
        return;
    drop_segment_and_lock(shm);
    clear_key(shm);
    xsipc_registry_close(shm->home);
    free(shm);
    errno = saved;
}
