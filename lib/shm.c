/*
 * shm.c -- xsipc_shm: a named System V segment, as QSharedMemory.
 *
 * The protocol is Qt's, step for step, so that a Qt program and a C program
 * can take turns on one segment:
 *   create: key file, lock, shmget(IPC_CREAT|IPC_EXCL), shmat, unlock.
 *   attach: lock, shmget(key, 0), IPC_STAT for the size, shmat, unlock.
 *   detach: lock, shmdt, IPC_STAT; at shm_nattch 0 the segment and its key
 *           file are removed; unlock.
 * The segment holds only the caller's bytes (no header), as with Qt; the
 * lock is Qt's qipc_systemsem_ semaphore set (see semset.h).
 *
 * The segment id, not the key, names "our" segment once attached: after
 * IPC_RMID the kernel sets an attached segment's key to IPC_PRIVATE, and a
 * new segment may be created at the old key while we still use the old one.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

/* A System V call failed: map its errno and name the segment. */
static int sys_fail(xsipc_shm *shm, const char *op, xsipc__sys_call call,
                    int err, int creating)
{
    errno = err;
    return xsipc__status_set(&shm->err, xsipc__sys_error(call, err, creating),
                             "%s: %s for \"%s\" (key 0x%08x, key file %s): %s",
                             op, xsipc__sys_name(call), shm->qname,
                             (unsigned)shm->key.key, shm->native,
                             strerror(err));
}

/* Checks common to every operation; 0 when the handle may proceed. */
static int usable(xsipc_shm *shm, const char *op)
{
    xsipc__status_clear(&shm->err);
    if (shm->reg == NULL)
        return xsipc__status_set(&shm->err, XSIPC_KEY_ERROR,
                                 "%s: no key is set", op);
    return 0;
}

xsipc_shm *xsipc_shm_new_in(xsipc_registry *reg, const char *key)
{
    xsipc_shm *shm = calloc(1, sizeof *shm);

    if (shm == NULL)
        return NULL;
    shm->shmid = -1;
    xsipc__semset_init(&shm->lock, NULL, NULL, 1);
    if (reg != NULL)
        shm->home = xsipc__reg_ref(reg);
    if (key != NULL)
        (void)xsipc_shm_set_key(shm, key); /* a failure stays in the handle */
    return shm;
}

xsipc_shm *xsipc_shm_new(const char *key)
{
    return xsipc_shm_new_in(NULL, key);
}

/* Forgets the key (the handle is not attached). */
static void clear_key(xsipc_shm *shm)
{
    xsipc_registry_close(shm->reg);
    free(shm->name);
    free(shm->native);
    shm->reg = NULL;
    shm->name = NULL;
    shm->native = NULL;
    shm->is_native = 0;
}

/* Before a new key: detach (as Qt's setKey does) and forget the old one. */
static void drop_key(xsipc_shm *shm)
{
    if (shm->shmid >= 0)
        (void)xsipc_shm_detach(shm);
    xsipc__status_clear(&shm->err);
    clear_key(shm);
}

/* Installs reg, name and native path, taking ownership of all three. */
static int install_key(xsipc_shm *shm, xsipc_registry *reg, char *name,
                       int is_native, const char *file)
{
    size_t len = strlen(reg->dir) + 1 + strlen(file) + 1;
    char *native = malloc(len);

    if (native == NULL || name == NULL) {
        free(native);
        free(name);
        xsipc_registry_close(reg);
        errno = ENOMEM;
        return xsipc__status_set(&shm->err, XSIPC_OUT_OF_RESOURCES,
                                 "out of memory");
    }
    snprintf(native, len, "%s/%s", reg->dir, file);
    shm->reg = reg;
    shm->name = name;
    xsipc__reg_quote(name, 64, shm->qname, sizeof shm->qname);
    shm->native = native;
    shm->is_native = is_native;
    xsipc__semset_init(&shm->lock, reg, name, 1);
    return 0;
}

int xsipc_shm_set_key(xsipc_shm *shm, const char *key)
{
    static const char op[] = "xsipc_shm_set_key";
    char file[256];
    xsipc_registry *reg;
    int rc;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    drop_key(shm);
    if (key == NULL)
        return 0;
    rc = xsipc__reg_file_name(XSIPC__KIND_SHM, key, file, sizeof file,
                              &shm->err);
    if (rc < 0)
        return xsipc__status_prefix(&shm->err, op);
    /* The registry given at construction stays; the default one is looked
     * up again, as Qt reads the temporary directory at each setKey. */
    if (shm->home != NULL)
        reg = xsipc__reg_ref(shm->home);
    else if ((reg = xsipc__reg_open(NULL, 0, &shm->err)) == NULL)
        return xsipc__status_prefix(&shm->err, op);
    return install_key(shm, reg, strdup(key), 0, file);
}

int xsipc_shm_set_native_key(xsipc_shm *shm, const char *path)
{
    static const char op[] = "xsipc_shm_set_native_key";
    char dir[PATH_MAX];
    const char *slash, *base;
    xsipc_registry *reg;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    drop_key(shm);
    if (path == NULL)
        return 0;
    slash = strrchr(path, '/');
    base = slash != NULL ? slash + 1 : path;
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return xsipc__status_set(&shm->err, XSIPC_KEY_ERROR,
                                 "%s: path too long", op);
    if (*base == '\0')
        return xsipc__status_set(&shm->err, XSIPC_KEY_ERROR,
                                 "%s: \"%s\" names a directory, not a key file",
                                 op, path);
    reg = xsipc__reg_open(dir, XSIPC__REG_NATIVE, &shm->err);
    if (reg == NULL)
        return xsipc__status_prefix(&shm->err, op);
    return install_key(shm, reg, strdup(base), 1, base);
}

const char *xsipc_shm_key(const xsipc_shm *shm)
{
    return shm != NULL && !shm->is_native ? shm->name : NULL;
}

const char *xsipc_shm_native_key(const xsipc_shm *shm)
{
    return shm != NULL ? shm->native : NULL;
}

/* Takes the lock around create/attach/detach, as Qt does.  Returns 0,
 * XSIPC_OWNER_DIED or -error. */
static int lock_for(xsipc_shm *shm, const char *op)
{
    return xsipc__semset_lock(&shm->lock, XSIPC__WAIT, NULL, op, &shm->err);
}

/* Releases what lock_for took.  An owner-died report is no use to these
 * calls (they touch no data), so it is kept for the next xsipc_shm_lock
 * by releasing VALUE with MARK left set. */
static void unlock_for(xsipc_shm *shm, int held, const char *op)
{
    xsipc_status scratch; /* the operation's own result is what counts */
    int tries;

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

/* Undoes a failed create/attach: the lock is released when held, the lock
 * set is left, and a key file this call made is removed (no segment has
 * its key). */
static int abandon(xsipc_shm *shm, int held, int rc, const char *op)
{
    xsipc_status keep = shm->err;

    if (held >= 0)
        unlock_for(shm, held, op);
    xsipc__semset_close(&shm->lock);
    if (shm->key.created)
        xsipc__reg_release(shm->reg, &shm->key);
    shm->shmid = -1;
    shm->addr = NULL;
    shm->size = 0;
    shm->err = keep;
    return rc;
}

/* shmat and IPC_STAT on shmid; fills addr and size. */
static int map(xsipc_shm *shm, int shmid, xsipc_access access, const char *op)
{
    struct shmid_ds ds;
    void *addr;

    if (xsipc__sys_shmctl(shmid, IPC_STAT, &ds) < 0)
        return sys_fail(shm, op, XSIPC__SYS_SHMCTL, errno, 0);
    /* Whoever can guess the key can create the segment first; one owned
     * by a stranger could be read or rewritten by them at any time. */
    if (ds.shm_perm.uid != geteuid() && ds.shm_perm.uid != 0) {
        errno = EPERM;
        return xsipc__status_set(
            &shm->err, XSIPC_UNTRUSTED,
            "%s: the segment for \"%s\" (key 0x%08x) belongs to "
            "uid %u, not to us (uid %u) or root",
            op, shm->qname, (unsigned)shm->key.key, (unsigned)ds.shm_perm.uid,
            (unsigned)geteuid());
    }
    addr = xsipc__sys_shmat(shmid, access == XSIPC_READ_ONLY ? SHM_RDONLY : 0);
    if (addr == (void *)-1)
        return sys_fail(shm, op, XSIPC__SYS_SHMAT, errno, 0);
    shm->shmid = shmid;
    shm->addr = addr;
    shm->size = ds.shm_segsz; /* the kernel's word, never a caller's */
    shm->access = access;
    return 0;
}

/* Checks shared by create and attach. */
static int may_map(xsipc_shm *shm, xsipc_access access, const char *op)
{
    int rc = usable(shm, op);

    if (rc < 0)
        return rc;
    if (shm->shmid >= 0)
        return xsipc__status_set(
            &shm->err, XSIPC_ALREADY_ATTACHED,
            "%s: this handle is already attached to \"%s\"", op, shm->qname);
    if (access != XSIPC_READ_ONLY && access != XSIPC_READ_WRITE)
        return xsipc__status_set(
            &shm->err, XSIPC_INVALID_ARGUMENT,
            "%s: access mode %d is neither XSIPC_READ_ONLY nor "
            "XSIPC_READ_WRITE",
            op, (int)access);
    return 0;
}

int xsipc_shm_create(xsipc_shm *shm, size_t size, xsipc_access access)
{
    static const char op[] = "xsipc_shm_create";
    int rc, id, held;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = may_map(shm, access, op)) < 0)
        return rc;
    if (size == 0)
        return xsipc__status_set(
            &shm->err, XSIPC_INVALID_SIZE,
            "%s: size 0 for \"%s\": a segment needs at least one "
            "byte",
            op, shm->qname);
    rc = xsipc__reg_resolve(shm->reg, XSIPC__KIND_SHM, shm->name, 1, &shm->key,
                            &shm->err);
    if (rc < 0)
        return xsipc__status_prefix(&shm->err, op);
    if ((held = lock_for(shm, op)) < 0)
        return abandon(shm, held, held, op);
    id = xsipc__sys_shmget(shm->key.key, size,
                           (int)shm->reg->obj_mode | IPC_CREAT | IPC_EXCL);
    if (id < 0) {
        int err = errno;
        if (err == EEXIST)
            rc = xsipc__status_set(
                &shm->err, XSIPC_ALREADY_EXISTS,
                "%s: a segment already exists for \"%s\" (key "
                "0x%08x, key file %s)",
                op, shm->qname, (unsigned)shm->key.key, shm->native);
        else if (err == EINVAL)
            rc = xsipc__status_set(
                &shm->err, XSIPC_INVALID_SIZE,
                "%s: size %zu for \"%s\" is outside the kernel's "
                "limits (SHMMIN..SHMMAX, see "
                "/proc/sys/kernel/shmmax)",
                op, size, shm->qname);
        else
            rc = sys_fail(shm, op, XSIPC__SYS_SHMGET, err, 1);
        return abandon(shm, held, rc, op);
    }
    if ((rc = map(shm, id, access, op)) < 0) {
        (void)xsipc__sys_shmctl(id, IPC_RMID, NULL);
        return abandon(shm, held, rc, op);
    }
    unlock_for(shm, held, op);
    return 0;
}

int xsipc_shm_attach(xsipc_shm *shm, xsipc_access access)
{
    static const char op[] = "xsipc_shm_attach";
    int rc, id, held;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    if ((rc = may_map(shm, access, op)) < 0)
        return rc;
    rc = xsipc__reg_resolve(shm->reg, XSIPC__KIND_SHM, shm->name, 0, &shm->key,
                            &shm->err);
    if (rc == -XSIPC_NOT_FOUND)
        return xsipc__status_set(&shm->err, XSIPC_NOT_FOUND,
                                 "%s: no segment for \"%s\" (no key file %s)",
                                 op, shm->qname, shm->native);
    if (rc < 0)
        return xsipc__status_prefix(&shm->err, op);
    if ((held = lock_for(shm, op)) < 0)
        return abandon(shm, held, held, op);
    id = xsipc__sys_shmget(shm->key.key, 0,
                           access == XSIPC_READ_ONLY ? 0400 : 0600);
    if (id < 0) {
        int err = errno;
        if (err == ENOENT)
            rc = xsipc__status_set(
                &shm->err, XSIPC_NOT_FOUND,
                "%s: no segment for \"%s\" (key 0x%08x, key file "
                "%s)",
                op, shm->qname, (unsigned)shm->key.key, shm->native);
        else
            rc = sys_fail(shm, op, XSIPC__SYS_SHMGET, err, 0);
        return abandon(shm, held, rc, op);
    }
    if ((rc = map(shm, id, access, op)) < 0)
        return abandon(shm, held, rc, op);
    unlock_for(shm, held, op);
    return 0;
}

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
        return sys_fail(shm, op, XSIPC__SYS_SHMCTL, errno, 0);
    last = ds.shm_nattch <= 1;
    /* After someone else's IPC_RMID the kernel sets the key to
     * IPC_PRIVATE, and the key file may already name a new segment; after
     * our own (a detach that failed later) the key file is still ours. */
    ours = shm->removed || ds.shm_perm.__key == shm->key.key;
    if (last && !shm->removed) {
        if (xsipc__sys_shmctl(shm->shmid, IPC_RMID, NULL) < 0)
            return sys_fail(shm, op, XSIPC__SYS_SHMCTL, errno, 0);
        shm->removed = 1;
    }
    if (xsipc__sys_shmdt(shm->addr) < 0)
        return sys_fail(shm, op, XSIPC__SYS_SHMDT, errno, 0);
    if (last && ours)
        xsipc__reg_release(shm->reg, &shm->key);
    return 0;
}

int xsipc_shm_detach(xsipc_shm *shm)
{
    static const char op[] = "xsipc_shm_detach";
    int rc, held = 0;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    xsipc__status_clear(&shm->err);
    if (shm->shmid < 0)
        return xsipc__status_set(&shm->err, XSIPC_NOT_ATTACHED,
                                 "%s: this handle is not attached%s%s%s", op,
                                 shm->name ? " to \"" : "",
                                 shm->name ? shm->qname : "",
                                 shm->name ? "\"" : "");
    /* A handle that holds the lock detaches under it and releases it, as
     * Qt's detach does.  Without the lock (taking it failed) the detach
     * still happens; the nattch test is then only racy. */
    if (!shm->locked)
        held = lock_for(shm, op);
    rc = unmap(shm, op);
    if (!shm->locked && held >= 0)
        unlock_for(shm, held, op);
    if (rc < 0)
        return rc; /* still attached, lock as it was: try again later */
    if (shm->locked)
        (void)xsipc__semset_unlock(&shm->lock, 0, op, &shm->err);
    shm->locked = 0;
    shm->shmid = -1;
    shm->removed = 0;
    shm->addr = NULL;
    shm->size = 0;
    /* A failure to leave the set keeps it open; free tries again. */
    (void)xsipc__semset_close(&shm->lock);
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
    if (shm->shmid < 0)
        return xsipc__status_set(&shm->err, XSIPC_NOT_ATTACHED,
                                 "%s: this handle is not attached to a segment",
                                 op);
    if (shm->locked)
        return xsipc__status_set(&shm->err, XSIPC_LOCK_ERROR,
                                 "%s: \"%s\" is already locked by this handle",
                                 op, shm->qname);
    return 0;
}

static int lock_with(xsipc_shm *shm, xsipc__wait wait, long timeout_ms,
                     const char *op)
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

int xsipc_shm_lock(xsipc_shm *shm)
{
    return lock_with(shm, XSIPC__WAIT, 0, "xsipc_shm_lock");
}

int xsipc_shm_try_lock(xsipc_shm *shm)
{
    return lock_with(shm, XSIPC__NOWAIT, 0, "xsipc_shm_try_lock");
}

int xsipc_shm_lock_timeout(xsipc_shm *shm, long timeout_ms)
{
    return lock_with(shm, XSIPC__UNTIL, timeout_ms, "xsipc_shm_lock_timeout");
}

int xsipc_shm_unlock(xsipc_shm *shm)
{
    static const char op[] = "xsipc_shm_unlock";
    int rc;

    if (shm == NULL)
        return -XSIPC_INVALID_ARGUMENT;
    xsipc__status_clear(&shm->err);
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

xsipc_error xsipc_shm_error(const xsipc_shm *shm)
{
    return shm != NULL ? shm->err.code : XSIPC_INVALID_ARGUMENT;
}

const char *xsipc_shm_error_string(const xsipc_shm *shm)
{
    return shm != NULL ? shm->err.text : "NULL xsipc_shm handle";
}

void xsipc_shm_free(xsipc_shm *shm)
{
    int saved = errno;

    if (shm == NULL)
        return;
    /* A detach that failed (a transient kernel error) is tried once more:
     * a handle that cannot be detached would leave the segment behind. */
    if (shm->shmid >= 0 && xsipc_shm_detach(shm) < 0)
        (void)xsipc_shm_detach(shm);
    if (xsipc__semset_close(&shm->lock) < 0)
        (void)xsipc__semset_close(&shm->lock);
    clear_key(shm);
    xsipc_registry_close(shm->home);
    free(shm);
    errno = saved;
}
