/* SPDX-License-Identifier: MIT */
/*
 * reglist.c -- the public registry calls: opening, key lookup, listing,
 * removal of a name and gc.
 *
 * registry/ knows files only; what a key file is worth depends on the
 * System V object at its key, which only the kernel knows.  Each key file
 * is therefore paired here with the segment (shmget(key, 0, 0)) or the
 * semaphore set (semget(key, 0, 0)) at its key, read with IPC_STAT: no
 * permission is asked for, so a stranger's object is found too, and then
 * reported as foreign rather than touched.
 *
 * What counts as dead (DESIGN.md section 4):
 *  - a segment no process attaches (shm_nattch 0) whose creator is gone --
 *    shm_cpid is no process, or a process started after shm_ctime (the pid
 *    was reused; see proc.c) -- owned by us, and not persistent;
 *  - an xsipc semaphore set (three semaphores) whose USERS count is 0 --
 *    each open handle holds one unit with SEM_UNDO, so the kernel takes the
 *    units of dead processes back -- with no process waiting on it, which
 *    has been used (sem_otime: a set being made is not stale), ours, and
 *    not persistent.  A Qt-made set (one semaphore) says nothing of its
 *    users and is never taken for dead;
 *  - a key file with no object, in a registry that follows Qt's life cycle,
 *    once older than the grace period (Qt makes the file just before its
 *    object);
 *  - claims, parked inodes, links and unfinished key files that no key file
 *    needs any more (registry/scan.c judges them, registry/reap.c removes
 *    them).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* The registry a call works on: reg, or the default one opened for it. */
static xsipc_registry *use_registry(xsipc_registry *reg, const char *op,
                                    xsipc_status *st)
{
    xsipc_registry *use = reg;

    if (use == NULL && (use = xsipc__registry_open(NULL, 0, st)) == NULL &&
        st != NULL)
        (void)xsipc__status_prefix(st, op);
    return use;
}

static void done_registry(xsipc_registry *reg, xsipc_registry *use)
{
    if (use != reg)
        xsipc_registry_close(use);
}

static void clear(xsipc_status *st)
{
    if (st != NULL)
        xsipc__status_clear(st);
}

/* ------------------------------------------------------------ key probe */

/* Whether shmget/semget(key, 0, 0) found an object: it did, or it exists
 * but we may not use it (EACCES).  ENOENT is none; EIDRM one being removed;
 * anything else cannot tell, and a free key is the safe answer there (the
 * worst case is Qt's own: a key shared with an object whose file is not
 * in the directory). */
static int found(int id)
{
    return id >= 0 || errno == EACCES;
}

int xsipc__probe_key_in_use(key_t key)
{
    int saved = errno, used;

    /* Plain calls, outside the lib/sysv seam: a query that changes
     * nothing and maps no error, so that tests counting the library's
     * System V calls count the ones that act.  Both kinds: the claim of a
     * key is for both, so a key never names two things in ipcs. */
    used = found(shmget(key, 0, 0)) || found(semget(key, 0, 0));
    errno = saved;
    return used;
}

/* ------------------------------------------------------------------ open */

xsipc_registry *xsipc__registry_open(const char *dir, unsigned flags,
                                     xsipc_status *st)
{
    return xsipc__reg_open(dir, flags, xsipc__probe_key_in_use, st);
}

xsipc_registry *xsipc_registry_open(const char *dir, unsigned flags,
                                    xsipc_status *status)
{
    static const char op[] = "xsipc_registry_open";
    xsipc_registry *reg;
    int err;

    /* XSIPC__REG_NATIVE and later private bits are not the caller's. */
    if ((flags & ~XSIPC__REG_PUBLIC_FLAGS) != 0) {
        (void)xsipc__status_set(status, XSIPC_INVALID_ARGUMENT,
                                "%s: unknown flags 0x%x", op,
                                flags & ~XSIPC__REG_PUBLIC_FLAGS);
        errno = EINVAL;
        return NULL;
    }
    reg = xsipc__registry_open(dir, flags, status);
    if (reg == NULL && status != NULL) {
        err = errno;
        (void)xsipc__status_prefix(status, op);
        errno = err;
    }
    return reg;
}

/* ------------------------------------------------------------ key lookup */

int xsipc_registry_key(xsipc_registry *reg, const char *name, xsipc_kind kind,
                       int create, key_t *key, char *path, size_t pathlen,
                       xsipc_status *status)
{
    static const char op[] = "xsipc_registry_key";
    xsipc_status scratch;
    xsipc_registry *use;
    xsipc__key k;
    size_t need;
    int rc;

    if (status == NULL)
        status = &scratch;
    clear(status);
    if (kind != XSIPC_KIND_SHM && kind != XSIPC_KIND_SEM)
        return xsipc__status_set(status, XSIPC_INVALID_ARGUMENT,
                                 "%s: unknown kind %d", op, (int)kind);
    if ((use = use_registry(reg, op, status)) == NULL)
        return -(int)status->code;
    memset(&k, 0, sizeof k);
    /* The path's size is known before anything is made. */
    rc = xsipc__reg_file_name(kind, name, k.file, sizeof k.file, status);
    if (rc == 0 && path != NULL) {
        need = strlen(xsipc__reg_dir(use)) + 1 + strlen(k.file) + 1;
        if (need > pathlen)
            rc = xsipc__reg_file_error(use, k.file, status,
                                       XSIPC_INVALID_ARGUMENT,
                                       "the path buffer has %zu bytes, the key "
                                       "file's path needs %zu",
                                       pathlen, need);
    }
    if (rc == 0)
        rc = xsipc__reg_resolve(use, kind, name, create, &k, status);
    if (rc == 0) {
        if (key != NULL)
            *key = k.key;
        if (path != NULL)
            (void)xsipc__reg_path(use, k.file, path, pathlen);
    }
    done_registry(reg, use);
    return rc < 0 ? xsipc__status_prefix(status, op) : 0;
}

/* ---------------------------------------------------------------- probe */

/* What the kernel says about the object at a key file's key. */
typedef struct probe {
    xsipc_registry_entry e;
    char path[PATH_MAX];
    char problem[256];
    int ours;       /* owned by our effective uid */
    long ncnt;      /* processes waiting on VALUE (semaphore sets) */
    time_t changed; /* the object's ctime */
} probe;

static void foreign(probe *p, const char *fmt, const char *what, int err)
{
    p->e.status = XSIPC_ENTRY_FOREIGN;
    (void)snprintf(p->problem, sizeof p->problem, fmt, what, strerror(err));
    p->e.problem = p->problem;
}

static void probe_shm(xsipc_registry *reg, probe *p)
{
    struct shmid_ds ds;

    p->e.id = xsipc__sys_shmget(p->e.key, 0, 0);
    if (p->e.id < 0) {
        if (errno == ENOENT)
            p->e.status = XSIPC_ENTRY_ORPHAN;
        else
            foreign(p, "%s at its key: %s", "a segment", errno);
        return;
    }
    if (xsipc__sys_shmctl(p->e.id, IPC_STAT, &ds) < 0) {
        /* EACCES: no read permission, so not one of ours. */
        if (errno == EINVAL || errno == EIDRM)
            p->e.status = XSIPC_ENTRY_ORPHAN; /* removed meanwhile */
        else
            foreign(p, "%s at its key: IPC_STAT: %s", "the segment", errno);
        return;
    }
    p->e.size = ds.shm_segsz;
    p->e.attached = (unsigned long)ds.shm_nattch;
    p->e.owner = ds.shm_perm.uid;
    p->e.creator = ds.shm_cpid;
    p->ours = ds.shm_perm.uid == geteuid();
    p->changed = ds.shm_ctime;
    if (!xsipc__reg_trusted(reg, ds.shm_perm.uid)) {
        p->e.status = XSIPC_ENTRY_FOREIGN;
        (void)snprintf(p->problem, sizeof p->problem,
                       "the segment at its key belongs to uid %lu",
                       (unsigned long)ds.shm_perm.uid);
        p->e.problem = p->problem;
    } else if (ds.shm_nattch == 0 &&
               (p->e.flags & XSIPC_ENTRY_PERSISTENT) == 0 &&
               xsipc__proc_gone(ds.shm_cpid, ds.shm_ctime)) {
        p->e.status = XSIPC_ENTRY_STALE;
    } else {
        p->e.status = XSIPC_ENTRY_LIVE;
    }
}

static void probe_sem(xsipc_registry *reg, probe *p)
{
    struct semid_ds ds;
    int users = -1;

    p->e.id = xsipc__sys_semget(p->e.key, 0, 0);
    if (p->e.id < 0) {
        if (errno == ENOENT)
            p->e.status = XSIPC_ENTRY_ORPHAN;
        else
            foreign(p, "%s at its key: %s", "a semaphore set", errno);
        return;
    }
    if (xsipc__sys_semctl_stat(p->e.id, &ds) < 0) {
        if (errno == EINVAL || errno == EIDRM)
            p->e.status = XSIPC_ENTRY_ORPHAN;
        else
            foreign(p, "%s at its key: IPC_STAT: %s", "the semaphore set",
                    errno);
        return;
    }
    p->e.size = (size_t)ds.sem_nsems;
    p->e.owner = ds.sem_perm.uid;
    p->ours = ds.sem_perm.uid == geteuid();
    p->changed = ds.sem_ctime;
    if (ds.sem_nsems >= XSIPC__SEM_NSEMS) {
        users = xsipc__sys_semctl(p->e.id, XSIPC__SEM_USERS, GETVAL, 0);
        if (users >= 0)
            p->e.attached = (unsigned long)users;
    }
    p->ncnt = xsipc__sys_semctl(p->e.id, XSIPC__SEM_VALUE, GETNCNT, 0);
    if (!xsipc__reg_trusted(reg, ds.sem_perm.uid)) {
        p->e.status = XSIPC_ENTRY_FOREIGN;
        (void)snprintf(p->problem, sizeof p->problem,
                       "the semaphore set at its key belongs to uid %lu",
                       (unsigned long)ds.sem_perm.uid);
        p->e.problem = p->problem;
    } else if (users == 0 && p->ncnt == 0 && ds.sem_otime != 0 &&
               (p->e.flags & XSIPC_ENTRY_PERSISTENT) == 0) {
        p->e.status = XSIPC_ENTRY_STALE;
    } else {
        p->e.status = XSIPC_ENTRY_LIVE;
    }
}

/* Fills p for the key file item. */
static void probe_item(xsipc_registry *reg, const xsipc__item *it, probe *p)
{
    memset(&p->e, 0, sizeof p->e);
    p->problem[0] = '\0';
    p->ours = 0;
    p->ncnt = 0;
    p->changed = 0;
    (void)xsipc__reg_path(reg, it->file, p->path, sizeof p->path);
    p->e.path = p->path;
    p->e.kind = it->kind;
    p->e.id = -1;
    p->e.owner = it->sb.st_uid;
    if (!it->usable) {
        p->e.status = XSIPC_ENTRY_FOREIGN;
        p->e.proj = XSIPC__PROJ;
        if (S_ISREG(it->sb.st_mode))
            p->e.key = xsipc__reg_ftok(&it->sb, XSIPC__PROJ);
        (void)snprintf(p->problem, sizeof p->problem, "%s", it->problem);
        p->e.problem = p->problem;
        return;
    }
    p->e.key = it->key.key;
    p->e.proj = it->key.proj;
    if (it->rec != NULL) {
        p->e.name = it->rec->name_len > 0 ? it->rec->name : NULL;
        p->e.creator = (pid_t)it->rec->pid;
        p->e.created = (long long)it->rec->time;
        /* Persistent: made in a persistent registry, or a segment made to
         * outlive its users; neither is ever stale. */
        if ((it->rec->flags & (XSIPC__REC_PERSISTENT | XSIPC__REC_KEEP)) != 0)
            p->e.flags |= XSIPC_ENTRY_PERSISTENT;
    }
    if (it->claim == XSIPC__CLAIM_NONE || it->claim == XSIPC__CLAIM_STALE)
        p->e.flags |= XSIPC_ENTRY_UNCLAIMED;
    else if (it->claim != XSIPC__CLAIM_MINE)
        p->e.flags |= XSIPC_ENTRY_COLLISION;
    if (it->kind == XSIPC_KIND_SHM)
        probe_shm(reg, p);
    else
        probe_sem(reg, p);
}

/* --------------------------------------------------------------- listing */

typedef struct list_ctx {
    xsipc_registry_fn fn;
    void *arg;
    int count;
    probe p;
} list_ctx;

static int list_item(xsipc_registry *reg, const xsipc__item *it, void *arg)
{
    list_ctx *c = arg;

    if (it->type != XSIPC__ITEM_KEY_FILE)
        return 0;
    probe_item(reg, it, &c->p);
    c->count++;
    return c->fn != NULL && c->fn(&c->p.e, c->arg) != 0 ? 1 : 0;
}

/* What list and gc share around a scan: the registry to use (reg NULL: the
 * default one) and a zeroed context of size bytes, on the heap since a
 * probe holds a PATH_MAX path.  NULL with *rc and status set on failure. */
static void *scan_begin(xsipc_registry *reg, xsipc_registry **use, size_t size,
                        const char *op, xsipc_status *status, int *rc)
{
    void *ctx;

    if ((*use = use_registry(reg, op, status)) == NULL) {
        *rc = status != NULL ? -(int)status->code : -XSIPC_KEY_ERROR;
        return NULL;
    }
    if ((ctx = calloc(1, size)) == NULL) {
        done_registry(reg, *use);
        errno = ENOMEM;
        *rc = xsipc__status_set(status, XSIPC_OUT_OF_RESOURCES,
                                "%s: out of memory", op);
    }
    return ctx;
}

/* The scan's result (count, or rc < 0 with status prefixed by op); frees
 * what scan_begin took. */
static int scan_end(xsipc_registry *reg, xsipc_registry *use, void *ctx, int rc,
                    int count, const char *op, xsipc_status *status)
{
    if (rc >= 0)
        rc = count;
    else if (status != NULL)
        (void)xsipc__status_prefix(status, op);
    free(ctx);
    done_registry(reg, use);
    return rc;
}

int xsipc_registry_list(xsipc_registry *reg, xsipc_registry_fn fn, void *arg,
                        xsipc_status *status)
{
    static const char op[] = "xsipc_registry_list";
    xsipc_registry *use;
    list_ctx *c;
    int rc;

    clear(status);
    if ((c = scan_begin(reg, &use, sizeof *c, op, status, &rc)) == NULL)
        return rc;
    c->fn = fn;
    c->arg = arg;
    rc = xsipc__reg_scan(use, list_item, c, status);
    return scan_end(reg, use, c, rc, c->count, op, status);
}

/* ---------------------------------------------------------------- remove */

/* Removes k's key file when no object has its key: under the registry
 * lock, in which no xsipc process makes an object (semset.c, R1 and R3),
 * so none can appear between the test and the unlink.  0, 1 when an
 * object kept the file, or -error with st set. */
static int unregister_unused(xsipc_registry *reg, const xsipc__key *k,
                             xsipc_status *st)
{
    int lockfd, rc = 1;

    if ((lockfd = xsipc__reg_lock(reg, st)) < 0)
        return lockfd;
    if (!xsipc__probe_key_in_use(k->key))
        rc = xsipc__reg_remove_locked(reg, k, st);
    xsipc__reg_unlock(lockfd);
    return rc;
}

/* Removes the object at k (kind) when flags allow: 0 when there is none
 * now, or -error with st set. */
static int remove_object(xsipc_registry *reg, const xsipc__key *k,
                         xsipc_kind kind, unsigned flags, const char *op,
                         xsipc_status *st)
{
    const char *what = kind == XSIPC_KIND_SHM ? "segment" : "semaphore set";
    xsipc__item it;
    probe *p;
    int rc = 0;

    if ((p = calloc(1, sizeof *p)) == NULL) {
        errno = ENOMEM;
        return xsipc__status_set(st, XSIPC_OUT_OF_RESOURCES,
                                 "%s: out of memory", op);
    }
    memset(&it, 0, sizeof it);
    it.type = XSIPC__ITEM_KEY_FILE;
    it.file = k->file;
    it.kind = kind;
    it.usable = 1;
    it.key = *k;
    it.claim = XSIPC__CLAIM_MINE;
    probe_item(reg, &it, p);
    if (p->e.id < 0 && p->e.status == XSIPC_ENTRY_ORPHAN)
        goto out;
    if ((flags & XSIPC_REMOVE_OBJECT) == 0) {
        errno = EEXIST;
        rc = xsipc__reg_file_error(reg, k->file, st, XSIPC_ALREADY_EXISTS,
                                   "a %s (id %d) exists at key 0x%08x "
                                   "(XSIPC_REMOVE_OBJECT removes it when "
                                   "unused)",
                                   what, p->e.id, (unsigned)k->key);
    } else if (p->e.status == XSIPC_ENTRY_FOREIGN || !p->ours) {
        errno = EPERM;
        rc = xsipc__reg_file_error(reg, k->file, st, XSIPC_UNTRUSTED,
                                   "the %s at key 0x%08x is not ours (uid %lu)",
                                   what, (unsigned)k->key,
                                   (unsigned long)p->e.owner);
    } else if (p->e.attached > 0 || p->ncnt > 0) {
        errno = EBUSY;
        rc = xsipc__reg_file_error(reg, k->file, st, XSIPC_ALREADY_EXISTS,
                                   "the %s at key 0x%08x is in use (%lu "
                                   "attached or open, %ld waiting)",
                                   what, (unsigned)k->key, p->e.attached,
                                   p->ncnt);
    } else if (kind == XSIPC_KIND_SEM && p->e.size >= XSIPC__SEM_NSEMS) {
        /* An xsipc set goes only with its lock taken (semset.c, R2). */
        if (!xsipc__semset_reap(p->e.id, XSIPC__REAP_EMPTY) &&
            semget(k->key, 0, 0) >= 0) {
            errno = EBUSY;
            rc = xsipc__reg_file_error(reg, k->file, st, XSIPC_ALREADY_EXISTS,
                                       "the %s at key 0x%08x is held or was "
                                       "opened meanwhile",
                                       what, (unsigned)k->key);
        }
    } else if ((kind == XSIPC_KIND_SHM
                    ? xsipc__sys_shmctl(p->e.id, IPC_RMID, NULL)
                    : xsipc__sys_semctl(p->e.id, 0, IPC_RMID, 0)) < 0 &&
               errno != EINVAL && errno != EIDRM) {
        rc = xsipc__reg_file_error(reg, k->file, st, XSIPC_PERMISSION_DENIED,
                                   "cannot remove the %s at key 0x%08x: %s",
                                   what, (unsigned)k->key, strerror(errno));
    }
out:
    free(p);
    return rc < 0 ? xsipc__status_prefix(st, op) : rc;
}

int xsipc_registry_remove(xsipc_registry *reg, const char *name,
                          xsipc_kind kind, unsigned flags, xsipc_status *status)
{
    static const char op[] = "xsipc_registry_remove";
    xsipc_status scratch;
    xsipc_registry *use;
    xsipc__key k;
    int rc;

    if (status == NULL)
        status = &scratch;
    clear(status);
    if (kind != XSIPC_KIND_SHM && kind != XSIPC_KIND_SEM)
        return xsipc__status_set(status, XSIPC_INVALID_ARGUMENT,
                                 "%s: unknown kind %d", op, (int)kind);
    if ((flags & ~XSIPC_REMOVE_OBJECT) != 0)
        return xsipc__status_set(status, XSIPC_INVALID_ARGUMENT,
                                 "%s: unknown flags 0x%x", op,
                                 flags & ~XSIPC_REMOVE_OBJECT);
    if ((use = use_registry(reg, op, status)) == NULL)
        return -(int)status->code;
    memset(&k, 0, sizeof k);
    rc = xsipc__reg_resolve(use, kind, name, 0, &k, status);
    if (rc < 0)
        rc = xsipc__status_prefix(status, op);
    else if ((rc = remove_object(use, &k, kind, flags, op, status)) == 0 &&
             (rc = unregister_unused(use, &k, status)) < 0)
        rc = xsipc__status_prefix(status, op);
    done_registry(reg, use);
    return rc;
}

/* -------------------------------------------------------------------- gc */

typedef struct gc_ctx {
    unsigned flags;
    xsipc_gc_fn fn;
    void *arg;
    int count;
    time_t now;
    xsipc_status *st;
    probe p;
    char path[PATH_MAX];
} gc_ctx;

static void report(gc_ctx *c, xsipc_gc_what what, const char *path, key_t key,
                   int id, const char *reason)
{
    xsipc_gc_item item;

    item.what = what;
    item.path = path;
    item.key = key;
    item.id = id;
    item.reason = reason;
    c->count++;
    if (c->fn != NULL)
        c->fn(&item, c->arg);
}

/* What the set of key file it may guard: 0 nothing (no segment key file
 * of that name: a counting semaphore), 1 a segment's key file, 2 a
 * segment that exists.  The segment's key file has the same name after
 * its prefix. */
static int guards_segment(xsipc_registry *reg, const xsipc__item *it)
{
    key_t key;
    int rc = xsipc__reg_shm_key_of(reg, it->file, &key), exists;

    if (rc <= 0)
        return rc == 0 ? 0 : 2; /* -1: cannot tell, keep the report */
    exists = shmget(key, 0, 0) >= 0 || errno != ENOENT;
    return exists ? 2 : 1;
}

/* How gc reaps a set by what it guards: a counting semaphore may go at 0;
 * a lock at 0 is held (by a Qt program, which counts in no USERS); a lock
 * whose segment exists keeps a dead owner's report. */
static const unsigned reap_how[3] = {XSIPC__REAP_EMPTY, 0,
                                     XSIPC__REAP_KEEP_MARKED};

/* Removes the stale object of a key file; 1 when it is gone. */
static int gc_object(xsipc_registry *reg, gc_ctx *c, const xsipc__item *it)
{
    probe *p = &c->p;
    int shm = it->kind == XSIPC_KIND_SHM;
    char reason[96];

    if (p->e.status != XSIPC_ENTRY_STALE || !p->ours)
        return 0;
    if (shm)
        (void)snprintf(reason, sizeof reason,
                       "no process attached, its creator (pid %ld) is gone",
                       (long)p->e.creator);
    else
        (void)snprintf(reason, sizeof reason,
                       "an xsipc semaphore set no process has open");
    if ((c->flags & XSIPC_GC_DRY_RUN) == 0) {
        /* The object may have been taken up since the probe: IPC_STAT
         * again just before IPC_RMID (a window no lock can close: Qt and
         * sysv_ipc attach without asking anyone). */
        if (shm) {
            struct shmid_ds ds;
            if (xsipc__sys_shmctl(p->e.id, IPC_STAT, &ds) < 0 ||
                ds.shm_nattch != 0 ||
                xsipc__sys_shmctl(p->e.id, IPC_RMID, NULL) < 0)
                return 0;
        } else if (!xsipc__semset_reap(p->e.id,
                                       reap_how[guards_segment(reg, it)])) {
            /* Held, opened meanwhile, or a dead owner's report on a
             * segment that is still there: its next lock must say so. */
            return 0;
        }
    }
    report(c, shm ? XSIPC_GC_SEGMENT : XSIPC_GC_SEMAPHORE, p->path, p->e.key,
           p->e.id, reason);
    return 1;
}

static void gc_key_file(xsipc_registry *reg, gc_ctx *c, const xsipc__item *it)
{
    int gone, old;

    if (!it->usable)
        return; /* foreign or unreadable: never touched */
    probe_item(reg, it, &c->p);
    gone = gc_object(reg, c, it);
    /* A persistent registry keeps its names; so does a persistent record
     * in any registry. */
    if (xsipc__reg_persistent(reg) || it->key.persistent)
        return;
    old = (c->flags & XSIPC_GC_NOW) != 0 ||
          c->now - it->sb.st_ctime >= XSIPC_GC_GRACE_SECONDS;
    if (!gone && !(c->p.e.status == XSIPC_ENTRY_ORPHAN && old))
        return;
    if ((c->flags & XSIPC_GC_DRY_RUN) == 0 &&
        unregister_unused(reg, &it->key, NULL) != 0)
        return;
    report(c, XSIPC_GC_KEY_FILE, c->p.path, it->key.key, -1,
           gone ? "its object is gone" : "no object at its key");
}

/* Files no key file needs; judged again under the lock before removal
 * (registry/reap.c). */
static void gc_file(xsipc_registry *reg, gc_ctx *c, const xsipc__item *it)
{
    static const char *const reasons[] = {
        "", "its key file is gone or has another key",
        "its key is not claimed any more", "a key file never finished",
        "its key file does not hold the key"};
    static const xsipc_gc_what whats[] = {XSIPC_GC_KEY_FILE, XSIPC_GC_CLAIM,
                                          XSIPC_GC_PARKED, XSIPC_GC_TEMP,
                                          XSIPC_GC_CLAIM};

    if (!it->stale)
        return;
    (void)xsipc__reg_path(reg, it->file, c->path, sizeof c->path);
    if ((c->flags & XSIPC_GC_DRY_RUN) == 0 && !xsipc__reg_reap_file(reg, it))
        return;
    report(c, whats[it->type], c->path,
           it->type == XSIPC__ITEM_TEMP ? 0 : it->named, -1, reasons[it->type]);
}

static void orphan(xsipc_gc_what what, key_t key, int id, void *arg)
{
    gc_ctx *c = arg;

    report(c, what, NULL, key, id,
           what == XSIPC_GC_SEGMENT
               ? "an orphan: no key file has its key, no process attached, "
                 "its creator is gone"
               : "an orphan: no key file has its key, no process has it open");
}

static int gc_item(xsipc_registry *reg, const xsipc__item *it, void *arg)
{
    gc_ctx *c = arg;

    if (it->type == XSIPC__ITEM_KEY_FILE)
        gc_key_file(reg, c, it);
    else
        gc_file(reg, c, it);
    return 0;
}

int xsipc_registry_gc(xsipc_registry *reg, unsigned flags, xsipc_gc_fn fn,
                      void *arg, xsipc_status *status)
{
    static const char op[] = "xsipc_registry_gc";
    const unsigned known = XSIPC_GC_DRY_RUN | XSIPC_GC_NOW;
    xsipc_registry *use;
    gc_ctx *c;
    int rc;

    clear(status);
    if ((flags & ~known) != 0)
        return xsipc__status_set(status, XSIPC_INVALID_ARGUMENT,
                                 "%s: unknown flags 0x%x", op, flags & ~known);
    if ((c = scan_begin(reg, &use, sizeof *c, op, status, &rc)) == NULL)
        return rc;
    c->flags = flags;
    c->fn = fn;
    c->arg = arg;
    c->now = time(NULL);
    c->st = status;
    rc = xsipc__reg_scan(use, gc_item, c, status);
    if (rc >= 0)
        rc = xsipc__gc_orphans(use, flags, orphan, c, status);
    return scan_end(reg, use, c, rc, c->count, op, status);
}
