/* SPDX-License-Identifier: MIT */
/*
 * default.c -- the default registry: opened once per process and shared
 * by every handle made without a registry of its own.
 *
 * Qt reads $TMPDIR at each setKey, and so does this: the cache holds the
 * registry of one value of $TMPDIR, and a handle takes it only while it is
 * still what a fresh open would give.  A fresh open costs two realpath()s
 * (a readlink per path component), an open, an fstat and a close; a reuse
 * costs the calls that show that nothing it depends on has changed:
 *  - a stat of the path $TMPDIR names (or /tmp), cleaned by spelling as
 *    Qt cleans it (xsipc__reg_qt_temp_path), and of the registry's own
 *    spelling of it when that differs (symbolic links on the way): both
 *    still lead to the directory the cached descriptor holds -- same
 *    device and inode -- with the mode and owner that open_dir() (dir.c)
 *    approved.  A directory removed and made again, a link pointed
 *    elsewhere, a chmod or a chown, each gives a miss and a full open
 *    (which applies the checks again, and may refuse);
 *  - an fstat of the cached descriptor: it is still that directory (a
 *    program that closed descriptors it did not open, and got the number
 *    back for another file, gets a miss, never key files looked up in the
 *    wrong place);
 *  - a geteuid() when the directory is not root's: the owner approved was
 *    our effective uid, which the process may have changed since.
 * The uids trusted for the process only grow, so an approval stands.
 * The cache never waits: a thread that finds another in it (or a child
 * forked while one was) opens a registry of its own, as before.  The
 * registries handed out are shared, so nothing reached from outside the
 * library may change one (the public xsipc_registry_open never uses the
 * cache, so xsipc_registry_trust_uid never meets a cached registry).
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "common/busy.h"
#include "registry/internal.h"

/* The cache (see the top): busy while a thread is inside. */
static struct {
    int busy;
    xsipc_registry *reg; /* one reference of the cache's own, or NULL */
    char *source;        /* the path it was opened for: $TMPDIR or /tmp,
                            cleaned */
    uid_t euid;          /* our effective uid when it was opened */
} default_cache;

static int cache_enter(void)
{
    return xsipc__busy_take(&default_cache.busy);
}

static void cache_leave(void)
{
    xsipc__busy_give(&default_cache.busy);
}

/* Whether path leads to reg's directory as open_dir() approved it. */
static int leads_to(const xsipc_registry *reg, const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 && sb.st_dev == reg->dir_dev &&
           sb.st_ino == reg->dir_ino && sb.st_mode == reg->dir_mode &&
           sb.st_uid == reg->dir_uid;
}

/* Whether the cached reg, opened for source when our euid was euid, is
 * what opening source now would give. */
static int still_default(const xsipc_registry *reg, const char *source,
                         uid_t euid)
{
    struct stat sb;

    if (!leads_to(reg, source) ||
        (strcmp(source, reg->dir) != 0 && !leads_to(reg, reg->dir)))
        return 0;
    if (fstat(reg->dirfd, &sb) != 0 || sb.st_dev != reg->dir_dev ||
        sb.st_ino != reg->dir_ino)
        return 0;
    return reg->dir_uid == 0 || euid == geteuid();
}

xsipc_registry *xsipc__reg_open_default(xsipc__key_probe_fn in_use,
                                        xsipc_status *st)
{
    char source[PATH_MAX];
    xsipc_registry *reg = NULL, *old;
    char *copy;
    uid_t euid = 0;
    int saved = errno;

    /* Too long a $TMPDIR: the open below says so. */
    if (xsipc__reg_qt_temp_path(source, sizeof source) < 0)
        source[0] = '\0';
    if (cache_enter()) {
        if (default_cache.reg != NULL && default_cache.reg->in_use == in_use &&
            strcmp(default_cache.source, source) == 0) {
            reg = xsipc__reg_ref(default_cache.reg);
            euid = default_cache.euid;
        }
        cache_leave();
    }
    if (reg != NULL) {
        if (still_default(reg, source, euid)) {
            if (st != NULL)
                xsipc__status_clear(st);
            errno = saved;
            return reg;
        }
        xsipc_registry_close(reg);
    }
    euid = geteuid();
    if ((reg = xsipc__reg_open(NULL, 0, in_use, st)) == NULL)
        return NULL;
    /* Cached only when the directory came from source itself (it may
     * have changed between the two looks).  A $TMPDIR that names no
     * directory is refused above, never cached: each call tries again, as
     * Qt reads $TMPDIR at each setKey. */
    if (!leads_to(reg, source) || (copy = strdup(source)) == NULL) {
        errno = saved;
        return reg;
    }
    if (!cache_enter()) {
        free(copy);
        errno = saved;
        return reg;
    }
    old = default_cache.reg;
    free(default_cache.source);
    default_cache.reg = xsipc__reg_ref(reg);
    default_cache.source = copy;
    default_cache.euid = euid;
    cache_leave();
    xsipc_registry_close(old);
    errno = saved;
    return reg;
}

#if defined(__GNUC__)
/* The cache's reference goes when the library is unloaded or the process
 * exits, so that leak checkers see every registry closed. */
__attribute__((destructor)) static void drop_default(void)
{
    if (!cache_enter())
        return;
    xsipc_registry_close(default_cache.reg);
    free(default_cache.source);
    default_cache.reg = NULL;
    default_cache.source = NULL;
    cache_leave();
}
#endif
