/* SPDX-License-Identifier: MIT */
/*
 * probe.h -- the System V object at a key file's key, as lib/probe.c finds
 * it for listing, removal and gc (private).
 */
#ifndef XSIPC_PROBE_H
#define XSIPC_PROBE_H

#include <limits.h>
#include <time.h>

#include "private.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* What the kernel says about the object at a key file's key. */
typedef struct xsipc__probe {
    xsipc_registry_entry e;
    char path[PATH_MAX];
    char problem[256];
    int ours;       /* owned by our effective uid */
    int acts;       /* ours, or (for root) a trusted uid's: forced removal */
    long ncnt;      /* processes waiting on VALUE (semaphore sets) */
    time_t changed; /* the object's ctime */
} xsipc__probe;

/* Fills p for the key file item of a scan (or one made for a key). */
void xsipc__probe_item(xsipc_registry *reg, const xsipc__item *it,
                       xsipc__probe *p);

/* ------------------------------------------- lib/registry.c, shared with gc.c
 */

/* What list and gc share around a scan: the registry to use (reg NULL: the
 * default one) and a zeroed context of size bytes, on the heap since a
 * probe holds a PATH_MAX path.  NULL with *rc and status set on failure. */
void *xsipc__registry_scan_begin(xsipc_registry *reg, xsipc_registry **use,
                                 size_t size, const char *op,
                                 xsipc_status *status, int *rc);
/* The scan's result (count, or rc < 0 with status prefixed by op); frees
 * what xsipc__registry_scan_begin took. */
int xsipc__registry_scan_end(xsipc_registry *reg, xsipc_registry *use,
                             void *ctx, int rc, int count, const char *op,
                             xsipc_status *status);
/* Removes k's key file when no object has its key: under the registry
 * lock, in which no xsipc process makes an object (semset.c, R1 and R3),
 * so none can appear between the test and the unlink.  0, 1 when an
 * object kept the file, or -error with st set. */
int xsipc__registry_unregister_unused(xsipc_registry *reg, xsipc__key *k,
                                      xsipc_status *st);

#endif /* XSIPC_PROBE_H */
