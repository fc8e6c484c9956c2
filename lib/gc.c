/* SPDX-License-Identifier: MIT */
/*
 * gc.c -- xsipc_registry_gc: removing what is provably dead in a registry.
 *
 * What counts as dead (DESIGN.md section 4):
 *  - a stale object (probe.c says which are): a segment no process
 *    attaches whose creator is gone, an xsipc semaphore set no handle has
 *    open -- owned by us, and not persistent;
 *  - a key file with no object, in a registry that follows Qt's life cycle,
 *    once older than the grace period (Qt makes the file just before its
 *    object);
 *  - claims, parked inodes, links and unfinished key files that no key file
 *    needs any more (registry/scan.c judges them, registry/reap.c removes
 *    them);
 *  - objects of the registry that no key file names (orphans.c).
 * An object may be taken up between the probe and its removal: a segment
 * is asked IPC_STAT again just before IPC_RMID, a set goes only in the
 * semop that takes its lock (semset.c, R2).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "private.h"
#include "probe.h"

typedef struct gc_ctx {
    unsigned flags;
    xsipc_gc_fn fn;
    void *arg;
    int count;
    time_t now;
    xsipc_status *st;
    xsipc__probe p;
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
    xsipc__probe *p = &c->p;
    int shm = it->kind == XSIPC_KIND_SHM;
    char reason[96];

    if (p->e.status != XSIPC_ENTRY_STALE ||
        (!p->ours && !((c->flags & XSIPC_GC_FORCE) != 0 && p->acts)))
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
    xsipc__key k;
    int gone, old;

    if (!it->usable)
        return; /* foreign or unreadable: never touched */
    xsipc__probe_item(reg, it, &c->p);
    gone = gc_object(reg, c, it);
    /* A persistent registry keeps its names; so does a persistent record
     * in any registry. */
    if (xsipc__reg_persistent(reg) || it->key.persistent)
        return;
    old = (c->flags & XSIPC_GC_NOW) != 0 ||
          c->now - it->sb.st_ctime >= XSIPC_GC_GRACE_SECONDS;
    if (!gone && !(c->p.e.status == XSIPC_ENTRY_ORPHAN && old))
        return;
    k = it->key;
    if ((c->flags & XSIPC_GC_DRY_RUN) == 0 &&
        xsipc__registry_unregister_unused(reg, &k, NULL) != 0)
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
        "made by an older xsipc, used no more"};
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
    const unsigned known = XSIPC_GC_DRY_RUN | XSIPC_GC_NOW | XSIPC_GC_FORCE;
    xsipc_registry *use;
    gc_ctx *c;
    int rc;

    if (status != NULL)
        xsipc__status_clear(status);
    if ((flags & ~known) != 0)
        return xsipc__status_set(status, XSIPC_INVALID_ARGUMENT,
                                 "%s: unknown flags 0x%x", op, flags & ~known);
    if ((c = xsipc__registry_scan_begin(reg, &use, sizeof *c, op, status,
                                        &rc)) == NULL)
        return rc;
    /* The lock sets this process keeps (semidle.c) are its own to end:
     * given back, their last users remove them, as at the handles' end. */
    if ((flags & XSIPC_GC_DRY_RUN) == 0)
        xsipc__semidle_end(use, NULL);
    c->flags = flags;
    c->fn = fn;
    c->arg = arg;
    c->now = time(NULL);
    c->st = status;
    rc = xsipc__reg_scan(use, gc_item, c, status);
    if (rc >= 0)
        rc = xsipc__gc_orphans(use, flags, orphan, c, status);
    return xsipc__registry_scan_end(reg, use, c, rc, c->count, op, status);
}
