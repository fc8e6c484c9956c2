/* SPDX-License-Identifier: MIT */
/*
 * registry.c -- the public registry calls but gc: opening a registry (the
 * way lib/ opens every one: with the kernel's answer to "an object at this
 * key?", probe.c), key lookup, listing, and removal of a name.
 *
 * A listing pairs each key file of a scan (registry/scan.c) with the
 * object at its key (probe.c).  Removal takes the object first, and only
 * when it is ours and unused (an xsipc set with its lock taken, R2 of
 * semset.c), then the key file, under the registry lock and only while no
 * object has its key.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"
#include "probe.h"

/* The registry a call works on: reg, or the default one opened for it. */
static xsipc_registry *use_registry(xsipc_registry *reg, const char *op,
                                    xsipc_status *st)
{
    xsipc_registry *use = reg;

    if (use == NULL && (use = xsipc__registry_default(st)) == NULL &&
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

/* What a call about a name checks first: its status cleared, its kind. */
static int check_kind(xsipc_kind kind, const char *op, xsipc_status *status)
{
    clear(status);
    if (kind != XSIPC_KIND_SHM && kind != XSIPC_KIND_SEM)
        return xsipc__status_set(status, XSIPC_INVALID_ARGUMENT,
                                 "%s: unknown kind %d", op, (int)kind);
    return 0;
}

/* ------------------------------------------------------------------ open */

xsipc_registry *xsipc__registry_open(const char *dir, unsigned flags,
                                     xsipc_status *st)
{
    return xsipc__reg_open(dir, flags, xsipc__probe_key_in_use, st);
}

xsipc_registry *xsipc__registry_default(xsipc_status *st)
{
    return xsipc__reg_open_default(xsipc__probe_key_in_use, st);
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
    if ((rc = check_kind(kind, op, status)) < 0)
        return rc;
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

/* --------------------------------------------------------------- listing */

typedef struct list_ctx {
    xsipc_registry_fn fn;
    void *arg;
    int count;
    xsipc__probe p;
} list_ctx;

static int list_item(xsipc_registry *reg, const xsipc__item *it, void *arg)
{
    list_ctx *c = arg;

    if (it->type != XSIPC__ITEM_KEY_FILE)
        return 0;
    xsipc__probe_item(reg, it, &c->p);
    c->count++;
    return c->fn != NULL && c->fn(&c->p.e, c->arg) != 0 ? 1 : 0;
}

void *xsipc__registry_scan_begin(xsipc_registry *reg, xsipc_registry **use,
                                 size_t size, const char *op,
                                 xsipc_status *status, int *rc)
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

int xsipc__registry_scan_end(xsipc_registry *reg, xsipc_registry *use,
                             void *ctx, int rc, int count, const char *op,
                             xsipc_status *status)
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
    if ((c = xsipc__registry_scan_begin(reg, &use, sizeof *c, op, status,
                                        &rc)) == NULL)
        return rc;
    c->fn = fn;
    c->arg = arg;
    rc = xsipc__reg_scan(use, list_item, c, status);
    return xsipc__registry_scan_end(reg, use, c, rc, c->count, op, status);
}

/* ------------------------------------------------------------------ stat */

/* What xsipc_registry_stat's entry points to: the calling thread's, kept
 * until its next call, so that threads stat at once (without __thread,
 * the process's). */
typedef struct stat_store {
    xsipc__probe p;
    char name[XSIPC__REC_NAME_MAX + 1];
} stat_store;

#if defined(__GNUC__)
static __thread stat_store stat_kept;
#else
static stat_store stat_kept;
#endif

/* The list's own per-entry probe, with the name copied out of the scan's
 * record (which goes with the scan). */
static int stat_item(xsipc_registry *reg, const xsipc__item *it, void *arg)
{
    stat_store *k = arg;

    xsipc__probe_item(reg, it, &k->p);
    if (k->p.e.name != NULL) {
        (void)snprintf(k->name, sizeof k->name, "%s", k->p.e.name);
        k->p.e.name = k->name;
    }
    return 0;
}

int xsipc_registry_stat(xsipc_registry *reg, const char *name, xsipc_kind kind,
                        xsipc_registry_entry *out, xsipc_status *status)
{
    static const char op[] = "xsipc_registry_stat";
    stat_store *k = &stat_kept;
    char file[256];
    xsipc_registry *use;
    int rc;

    clear(status);
    if ((rc = check_kind(kind, op, status)) < 0)
        return rc;
    if (out == NULL)
        return xsipc__status_set(status, XSIPC_INVALID_ARGUMENT,
                                 "%s: NULL entry", op);
    if (xsipc__reg_file_name(kind, name, file, sizeof file, status) < 0)
        return status != NULL ? xsipc__status_prefix(status, op)
                              : -XSIPC_KEY_ERROR;
    if ((use = use_registry(reg, op, status)) == NULL)
        return status != NULL ? -(int)status->code : -XSIPC_KEY_ERROR;
    rc = xsipc__reg_scan_file(use, file, stat_item, k, status);
    if (rc == 0)
        *out = k->p.e;
    else if (status != NULL)
        (void)xsipc__status_prefix(status, op);
    done_registry(reg, use);
    return rc;
}

/* ---------------------------------------------------------------- remove */

int xsipc__registry_unregister_unused(xsipc_registry *reg, xsipc__key *k,
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
    xsipc__probe *p;
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
    xsipc__probe_item(reg, &it, p);
    if (p->e.id < 0 && p->e.status == XSIPC_ENTRY_ORPHAN)
        goto out;
    if ((flags & XSIPC_REMOVE_OBJECT) == 0) {
        errno = EEXIST;
        rc = xsipc__reg_file_error(reg, k->file, st, XSIPC_ALREADY_EXISTS,
                                   "a %s (id %d) exists at key 0x%08x "
                                   "(XSIPC_REMOVE_OBJECT removes it when "
                                   "unused)",
                                   what, p->e.id, (unsigned)k->key);
    } else if (p->e.status == XSIPC_ENTRY_FOREIGN ||
               (!p->ours && !((flags & XSIPC_REMOVE_FORCE) != 0 && p->acts))) {
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

/* XSIPC_REMOVE_FORCE after a lookup refused name's key file (xerr): a
 * file whose record does not parse goes, with its claim, when no object
 * is at its key -- under the registry lock, as every key file's removal
 * (lib/semset.c, R3).  0 when removed, else -xerr with st as the lookup
 * left it, or another error. */
static int remove_bad_record(xsipc_registry *reg, xsipc_kind kind,
                             const char *name, int xerr, const char *op,
                             xsipc_status *st)
{
    xsipc_status mine;
    xsipc__key k;
    int lockfd, rc;

    if ((lockfd = xsipc__reg_lock(reg, &mine)) < 0)
        return xsipc__status_prefix(st, op);
    rc = xsipc__reg_bad_record_locked(reg, kind, name, &k, &mine);
    if (rc > 0 && xsipc__probe_key_in_use(k.key)) {
        errno = EEXIST;
        rc = xsipc__reg_file_error(reg, k.file, &mine, XSIPC_ALREADY_EXISTS,
                                   "an object exists at the key 0x%08x of "
                                   "the key file with a bad record: remove "
                                   "the object first",
                                   (unsigned)k.key);
    } else if (rc > 0) {
        rc = xsipc__reg_remove_locked(reg, &k, &mine);
    } else if (rc == 0) {
        rc = xerr; /* not a bad record: the lookup's own error stands */
    }
    xsipc__reg_unlock(lockfd);
    if (rc == xerr)
        return xsipc__status_prefix(st, op);
    if (rc < 0) {
        *st = mine;
        return xsipc__status_prefix(st, op);
    }
    return 0;
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
    if ((rc = check_kind(kind, op, status)) < 0)
        return rc;
    if ((flags & ~(XSIPC_REMOVE_OBJECT | XSIPC_REMOVE_FORCE)) != 0)
        return xsipc__status_set(
            status, XSIPC_INVALID_ARGUMENT, "%s: unknown flags 0x%x", op,
            flags & ~(XSIPC_REMOVE_OBJECT | XSIPC_REMOVE_FORCE));
    if ((use = use_registry(reg, op, status)) == NULL)
        return -(int)status->code;
    /* A lock set this process keeps for the name is given back first: the
     * name's removal by its own process must not find itself a user. */
    if (name != NULL && xsipc__reg_file_name(XSIPC__KIND_SEM, name, k.file,
                                             sizeof k.file, NULL) == 0)
        xsipc__semidle_end(use, k.file);
    memset(&k, 0, sizeof k);
    rc = xsipc__reg_resolve(use, kind, name, 0, &k, status);
    if (rc == -XSIPC_KEY_ERROR && (flags & XSIPC_REMOVE_FORCE) != 0)
        rc = remove_bad_record(use, kind, name, rc, op, status);
    else if (rc < 0)
        rc = xsipc__status_prefix(status, op);
    else if ((rc = remove_object(use, &k, kind, flags, op, status)) == 0 &&
             (rc = xsipc__registry_unregister_unused(use, &k, status)) < 0)
        rc = xsipc__status_prefix(status, op);
    done_registry(reg, use);
    return rc;
}
