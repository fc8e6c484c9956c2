/* SPDX-License-Identifier: MIT */
/*
 * private.h -- the real structures behind the public handles, and what the
 * lib/ files share.  Nothing here is exported.
 */
#ifndef XSIPC_PRIVATE_H
#define XSIPC_PRIVATE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "common/proc.h"
#include "common/qtnames.h"
#include "common/status.h"
#include "registry/registry.h"
#include "semset.h"
#include "sysv/sysv.h"
#include "xsipc.h"

/* The general paths behind the lock path's one system call: kept out of
 * line so the fast path needs no more registers than it uses. */
#if defined(__GNUC__)
#define XSIPC__SLOW __attribute__((noinline, cold))
#else
#define XSIPC__SLOW
#endif

struct xsipc_shm {
    xsipc_registry *home;     /* the registry given at construction, or NULL */
    xsipc_registry *reg;      /* the key's registry; NULL until a key is set,
                                 and for a native key until its directory is
                                 opened (xsipc__shm_native_dir) */
    char *name;               /* the name, or the key file's name when native */
    char *native;             /* the key file's path as messages show it (a
                                 native key's as given until its directory is
                                 opened); NULL until a key is set */
    char *given;              /* a native key exactly as set, for
                                 xsipc_shm_native_key; NULL for a name */
    char qname[XSIPC__QNAME]; /* name as messages show it (quoted once) */
    int is_native;            /* set by xsipc_shm_set_native_key */
    xsipc__key key;           /* the segment's key file, valid while attached */
    int shmid;                /* -1 while not attached */
    int removed;    /* our IPC_RMID is done (a detach failed after it) */
    int keep;       /* xsipc_shm_set_persistent: the next create's segment
                       outlives its users */
    int mode_extra; /* mode bits a segment this handle makes carries beside
                       the registry's (a channel's: XSIPC__MODE_CHANNEL) */
    void *addr;
    size_t size;
    xsipc_access access;
    int locked;    /* this handle holds the lock */
    int set_kept;  /* the lock set was joined when this create or attach
                      began (a failed one leaves only a set it joined) */
    int fast_lock; /* the lock path's state: see xsipc__shm_fresh, shm.h */
    int fast_unlock;
    xsipc__semset lock; /* the lock: Qt's qipc_systemsem_ set */
    xsipc_status err;
    xsipc_status key_err; /* why the last key given was refused */
};

struct xsipc_sem {
    xsipc_registry *reg;
    char *name;
    char qname[XSIPC__QNAME];
    xsipc__semset set;
    xsipc_status err;
    xsipc_sem_mode mode; /* XSIPC_OPEN or XSIPC_CREATE, without flags */
    int used;            /* an acquire or release was made: the set's
                            life cycle can no longer change */
};

/* Opens a registry (registry.c) as xsipc__reg_open does, with the kernel's
 * answer to "an object at this key?" (xsipc__probe_key_in_use) for its claims:
 * the way lib/ opens every registry. */
xsipc_registry *xsipc__registry_open(const char *dir, unsigned flags,
                                     xsipc_status *st);
/* The default registry for a handle made without one: shared by the
 * process while $TMPDIR names the same directory (registry/default.c).
 * Never handed to the caller, who could change it
 * (xsipc_registry_trust_uid). */
xsipc_registry *xsipc__registry_default(xsipc_status *st);
/* Whether a segment or a semaphore set exists at key (probe.c): the
 * question the registry asks before a new key file takes a key no claim
 * held.  Keeps errno. */
int xsipc__probe_key_in_use(key_t key);

/* gc's pass over the kernel's objects (orphans.c): removes those that look
 * like reg's and that no file of it names, reporting each to fn; with
 * XSIPC_GC_DRY_RUN only reports.  The count, or -error with st set. */
typedef void (*xsipc__orphan_fn)(xsipc_gc_what what, key_t key, int id,
                                 void *arg);
int xsipc__gc_orphans(xsipc_registry *reg, unsigned flags, xsipc__orphan_fn fn,
                      void *arg, xsipc_status *st);

#endif
