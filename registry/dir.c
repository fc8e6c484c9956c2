/* SPDX-License-Identifier: MIT */
/*
 * dir.c -- a registry directory: opening it, trusting uids, the registry
 * lock, and what lib/ may read of the handle.
 *
 * The key_t of a name is ftok(key file, proj), as Qt computes it with
 * proj 'Q', so the key file's inode *is* the key.  Everything in the
 * registry guards that inode, and it starts here: the directory is held
 * open (dirfd) and every key file is reached through openat/fstatat on
 * it, so a directory renamed or replaced under our feet cannot redirect
 * us; a directory that others could write without the sticky bit, or that
 * a stranger owns, is refused, since whoever can rewrite its entries can
 * choose our keys.
 *
 * The registry lock is an flock() of the directory: claims and key files
 * made by xsipc change only under it (see make.c), and lib/ makes System V
 * objects only under it (lib/semset.c, R1).  Files only: no System V IPC
 * call is made here.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define ALL_FLAGS (XSIPC__REG_PUBLIC_FLAGS | XSIPC__REG_NATIVE)

/* Uids trusted for the whole process (xsipc_registry_trust_uid(NULL)). */
static uid_t process_trust[XSIPC__TRUST_MAX];
static unsigned process_ntrust;

/* ----------------------------------------------------------------- trust */

static int in_list(const uid_t *list, unsigned n, uid_t uid)
{
    unsigned i;

    for (i = 0; i < n; i++)
        if (list[i] == uid)
            return 1;
    return 0;
}

static int process_trusts(uid_t uid)
{
    unsigned n;

#if defined(__GNUC__)
    n = __atomic_load_n(&process_ntrust, __ATOMIC_ACQUIRE);
#else
    n = process_ntrust;
#endif
    return uid == geteuid() || uid == 0 || in_list(process_trust, n, uid);
}

int xsipc__reg_trusted(const xsipc_registry *reg, uid_t uid)
{
    return process_trusts(uid) ||
           (reg != NULL && in_list(reg->trust, reg->ntrust, uid));
}

int xsipc_registry_trust_uid(xsipc_registry *reg, uid_t uid)
{
    uid_t *list = reg != NULL ? reg->trust : process_trust;
    unsigned *n = reg != NULL ? &reg->ntrust : &process_ntrust;

    /* (uid_t)-1 is chown's "no change", never a real owner. */
    if (uid == (uid_t)-1)
        return -XSIPC_INVALID_ARGUMENT;
    if (in_list(list, *n, uid))
        return 0;
    if (*n >= XSIPC__TRUST_MAX)
        return -XSIPC_OUT_OF_RESOURCES;
    list[*n] = uid;
    /* The uid is in place before the count says so. */
#if defined(__GNUC__)
    __atomic_store_n(n, *n + 1, __ATOMIC_RELEASE);
#else
    (*n)++;
#endif
    return 0;
}

/* ------------------------------------------------------------------ open */

/* A message about the registry directory path: "CAUSE: directory PATH". */
#define DIR_WHAT "directory "

/* The message for a realpath or open failure on the directory itself. */
static int dir_error(const char *path, int err, xsipc_status *st)
{
    xsipc_error code;

    switch (err) {
    case ENOENT:
    case ENOTDIR:
        /* realpath reports ENOTDIR when a component before the last is not
         * a directory: the path names nothing usable either way. */
        code = XSIPC_NOT_FOUND;
        break;
    case EACCES:
    case EPERM:
        code = XSIPC_PERMISSION_DENIED;
        break;
    default:
        code = XSIPC_KEY_ERROR;
        break;
    }
    errno = err;
    return xsipc__status_path(st, code, DIR_WHAT, NULL, path,
                              "cannot open the registry directory: %s",
                              strerror(err));
}

/*
 * Whether key files in a directory of mode and owner given by sb can be
 * trusted.  Anyone who can write a directory can delete and recreate the
 * entries in it, and so choose our key_t; the sticky bit (as on /tmp)
 * limits that to each entry's owner.  A directory owned by a stranger can
 * be made writable by them at any time.
 */
static int dir_trusted(const char *dir, const struct stat *sb, xsipc_status *st)
{
    if ((sb->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
        (sb->st_mode & S_ISVTX) == 0)
        return xsipc__status_path(
            st, XSIPC_UNTRUSTED, DIR_WHAT, NULL, dir,
            "the registry directory is writable by %s without the sticky "
            "bit (mode %04o)",
            (sb->st_mode & S_IWOTH) != 0 ? "others" : "its group",
            (unsigned)(sb->st_mode & 07777));
    if (!process_trusts(sb->st_uid))
        return xsipc__status_path(
            st, XSIPC_UNTRUSTED, DIR_WHAT, NULL, dir,
            "the registry directory is owned by uid %lu, not by us (uid %lu), "
            "root or a trusted uid",
            (unsigned long)sb->st_uid, (unsigned long)geteuid());
    return 0;
}

/* Opens the directory real (already resolved) and checks it; the new
 * descriptor is stored in *fd, its fstat in *out, and whether others may
 * write it in *shared. */
static int open_dir(const char *real, int *fd, int *shared, struct stat *out,
                    xsipc_status *st)
{
    struct stat sb;
    int err, rc;

    *shared = 0;
    /* O_NOFOLLOW: real has no links in it; if the last component became
     * one since realpath, someone is swapping it and we refuse. */
    *fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (*fd < 0) {
        err = errno;
        if (err == ENOTDIR)
            return xsipc__status_path(st, XSIPC_KEY_ERROR, DIR_WHAT, NULL, real,
                                      "cannot open the registry directory: %s",
                                      strerror(err));
        return dir_error(real, err, st);
    }
    /* The checks are made on the descriptor we will use, not the path. */
    if (fstat(*fd, &sb) != 0) {
        err = errno;
        (void)close(*fd);
        *fd = -1;
        return dir_error(real, err, st);
    }
    rc = dir_trusted(real, &sb, st);
    if (rc < 0) {
        (void)close(*fd);
        *fd = -1;
    }
    *shared = (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    *out = sb;
    return rc;
}

/* A number no other opening of a registry in this process has had. */
static unsigned long next_serial(void)
{
    static unsigned long serials;

#if defined(__GNUC__)
    return __atomic_add_fetch(&serials, 1ul, __ATOMIC_RELAXED);
#else
    return ++serials;
#endif
}

xsipc_registry *xsipc__reg_open(const char *dir, unsigned flags,
                                xsipc__key_probe_fn in_use, xsipc_status *st)
{
    char def[PATH_MAX];
    xsipc_registry *reg;
    const char *path = dir;
    struct stat sb;
    char *real;
    int fd, err, shared = 0;

    if ((flags & ~ALL_FLAGS) != 0) {
        (void)xsipc__status_set(st, XSIPC_INVALID_ARGUMENT,
                                "registry: unknown flags 0x%x",
                                flags & ~ALL_FLAGS);
        errno = EINVAL;
        return NULL;
    }
    if (path == NULL) {
        if (xsipc__reg_default_dir(def, sizeof def) < 0) {
            (void)xsipc__status_set(
                st, XSIPC_KEY_ERROR,
                "registry: the default directory ($TMPDIR) is longer than "
                "PATH_MAX (%d)",
                PATH_MAX);
            errno = ENAMETOOLONG;
            return NULL;
        }
        path = def;
    }
    /* The canonical path gives messages and native key paths one spelling
     * for one directory; the key itself comes from the inode anyway. */
    real = realpath(path, NULL);
    if (real == NULL) {
        (void)dir_error(path, errno, st);
        return NULL;
    }
    memset(&sb, 0, sizeof sb);
    if (open_dir(real, &fd, &shared, &sb, st) < 0) {
        err = errno;
        free(real);
        errno = err;
        return NULL;
    }
    reg = calloc(1, sizeof *reg);
    if (reg == NULL) {
        (void)close(fd);
        free(real);
        (void)xsipc__status_set(st, XSIPC_OUT_OF_RESOURCES,
                                "registry: out of memory");
        errno = ENOMEM;
        return NULL;
    }
    reg->refs = 1;
    reg->flags = flags;
    reg->dirfd = fd;
    reg->shared = shared;
    reg->dir = real;
    reg->in_use = in_use;
    reg->dir_dev = sb.st_dev;
    reg->dir_ino = sb.st_ino;
    reg->dir_mode = sb.st_mode;
    reg->dir_uid = sb.st_uid;
    /* The registry lock is an flock of this very descriptor, in this
     * process (see xsipc__reg_lock). */
    reg->lockfd = fd;
    reg->lock_pid = getpid();
    reg->serial = next_serial();
    /* Qt's modes by default; a group of cooperating users opts in. */
    if ((flags & XSIPC_REGISTRY_GROUP) != 0) {
        reg->obj_mode = 0660;
        reg->file_mode = 0660;
    } else {
        reg->obj_mode = 0600;
        reg->file_mode = 0640;
    }
    if (st != NULL)
        xsipc__status_clear(st);
    return reg;
}

/* ------------------------------------------------- the default registry */

/*
 * The default registry is opened once per process and shared by every
 * handle made without a registry of its own.  Qt reads $TMPDIR at each
 * setKey, and so does this: the cache holds the registry of one value of
 * $TMPDIR, and a handle takes it only while it is still what a fresh open
 * would give.  A fresh open costs two realpath()s (a readlink per path
 * component), an open, an fstat and a close; a reuse costs the calls that
 * show that nothing it depends on has changed:
 *  - a stat of the path $TMPDIR names (or /tmp), and of the registry's own
 *    spelling of it when that differs (symbolic links on the way): both
 *    still lead to the directory the cached descriptor holds -- same
 *    device and inode -- with the mode and owner that open_dir() approved.
 *    A directory removed and made again, a link pointed elsewhere, a
 *    chmod or a chown, each gives a miss and a full open (which applies
 *    the checks again, and may refuse);
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
static struct {
    int busy;
    xsipc_registry *reg; /* one reference of the cache's own, or NULL */
    char *source;        /* the path it was opened for: $TMPDIR or /tmp */
    uid_t euid;          /* our effective uid when it was opened */
} default_cache;

static int cache_enter(void)
{
#if defined(__GNUC__)
    return __atomic_exchange_n(&default_cache.busy, 1, __ATOMIC_ACQUIRE) == 0;
#else
    return 0; /* no atomics: no cache */
#endif
}

static void cache_leave(void)
{
#if defined(__GNUC__)
    __atomic_store_n(&default_cache.busy, 0, __ATOMIC_RELEASE);
#endif
}

/* What xsipc__reg_default_dir() starts from. */
static const char *default_source(void)
{
    const char *env = getenv("TMPDIR");

    return env != NULL && env[0] != '\0' ? env : "/tmp";
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
    const char *source = default_source();
    xsipc_registry *reg = NULL, *old;
    char *copy;
    uid_t euid = 0;
    int saved = errno;

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
    /* Cached only when the directory came from source itself (a $TMPDIR
     * that does not resolve falls back to /tmp: opened each time). */
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

/*
 * Handles in several threads may share one registry (the default one in
 * particular), so the count is atomic where the compiler offers it.
 */
xsipc_registry *xsipc__reg_ref(xsipc_registry *reg)
{
#if defined(__GNUC__)
    (void)__atomic_add_fetch(&reg->refs, 1u, __ATOMIC_RELAXED);
#else
    reg->refs++;
#endif
    return reg;
}

void xsipc_registry_close(xsipc_registry *reg)
{
    unsigned left;
    int saved;

    if (reg == NULL)
        return;
#if defined(__GNUC__)
    left = __atomic_sub_fetch(&reg->refs, 1u, __ATOMIC_ACQ_REL);
#else
    left = --reg->refs;
#endif
    if (left != 0)
        return;
    /* close() of a directory cannot lose data; keep the caller's errno. */
    saved = errno;
    if (reg->lockfd != reg->dirfd)
        (void)close(reg->lockfd); /* a forked child's own (xsipc__reg_lock) */
    (void)close(reg->dirfd);
    free(reg->dir);
    free(reg);
    errno = saved;
}

const char *xsipc_registry_dir(const xsipc_registry *reg)
{
    return reg->dir;
}

/* ------------------------------------------------------------- accessors */

const char *xsipc__reg_dir(const xsipc_registry *reg)
{
    return reg->dir;
}

int xsipc__reg_path(const xsipc_registry *reg, const char *file, char *buf,
                    size_t len)
{
    /* The root directory is the one whose name ends in '/' already. */
    return snprintf(buf, len, "%s%s%s", reg->dir,
                    strcmp(reg->dir, "/") == 0 ? "" : "/", file);
}

mode_t xsipc__reg_obj_mode(const xsipc_registry *reg)
{
    return reg->obj_mode;
}

int xsipc__reg_persistent(const xsipc_registry *reg)
{
    return (reg->flags & XSIPC_REGISTRY_PERSISTENT) != 0;
}

int xsipc__reg_native(const xsipc_registry *reg)
{
    return (reg->flags & XSIPC__REG_NATIVE) != 0;
}

int xsipc__reg_dir_stat(const xsipc_registry *reg, struct stat *sb)
{
    return fstat(reg->dirfd, sb);
}

/* ------------------------------------------------------------------ lock */

/*
 * The registry lock is an flock() of the directory.  An flock belongs to
 * an open file description: every holder needs a description of its own,
 * or two holders sharing one would both "hold" it.  Opening one for each
 * lock (openat of ".", then close) costs two system calls, so each
 * registry keeps one -- its own dirfd -- for the threads of the process
 * that opened it, used by one thread at a time:
 *  - lock_busy is the pid of the process one of whose threads holds the
 *    lock through it, or 0.  A thread that finds its own pid there (another
 *    thread is inside) does not wait for it: it opens a description of its
 *    own, as every lock did before, and the two flocks exclude each other
 *    as any two do.  So nothing here waits but flock itself.
 *  - fork copies the descriptor, and with it the description: a child
 *    flocking it would hold the parent's lock, not one that excludes the
 *    parent.  The pid check (getpid(), which glibc no longer caches: a
 *    raw clone() is caught too) sees the child, which opens a description
 *    of its own once and keeps it (lock_pid says whose lockfd is).  A
 *    lock_busy of another pid than ours is an ancestor's, copied by a fork
 *    taken while one of its threads held the lock: no thread of ours holds
 *    it, and it is taken over.
 *  - xsipc__reg_unlock gets only the descriptor.  The thread that holds a
 *    kept description remembers which registry's (one per thread at a
 *    time: a second registry locked meanwhile gets a description of its
 *    own), so unlock knows to leave that descriptor open.
 * The kept description is released with LOCK_UN like any other (a child
 * forked while the lock is held keeps a reference to it).
 */

/* How long a lock held by someone else is waited for in a directory that
 * others may write (where anyone can flock it and never let go). */
#define LOCK_WAIT_MS 10000

#if defined(__GNUC__)
/* The registry whose kept description this thread holds the lock with,
 * and the process it does so in: a child forked by a thread inside the
 * lock inherits the thread's variables, not its lock. */
static __thread xsipc_registry *kept_held;
static __thread pid_t kept_held_pid;

/* The kept description of reg, claimed for this thread; -1 when another
 * thread of ours has it, or it cannot be had (no description of its own
 * could be opened for a forked child). */
static int kept_take(xsipc_registry *reg)
{
    pid_t me = getpid();
    int busy = __atomic_load_n(&reg->lock_busy, __ATOMIC_ACQUIRE), fd;

    if (kept_held != NULL && kept_held_pid != me)
        kept_held = NULL; /* the parent's, in a forked child */
    if (kept_held != NULL || busy == (int)me ||
        !__atomic_compare_exchange_n(&reg->lock_busy, &busy, (int)me, 0,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return -1;
    if (reg->lock_pid != me) {
        /* A forked child: the descriptor is a copy of an ancestor's. */
        fd = openat(reg->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            __atomic_store_n(&reg->lock_busy, 0, __ATOMIC_RELEASE);
            return -1;
        }
        if (reg->lockfd != reg->dirfd)
            (void)close(reg->lockfd); /* our copy of the ancestor's own */
        reg->lockfd = fd;
        reg->lock_pid = me;
    }
    kept_held = reg;
    kept_held_pid = me;
    return reg->lockfd;
}

static void kept_give(xsipc_registry *reg)
{
    kept_held = NULL;
    __atomic_store_n(&reg->lock_busy, 0, __ATOMIC_RELEASE);
}
#else
static int kept_take(xsipc_registry *reg)
{
    (void)reg;
    return -1;
}

static void kept_give(xsipc_registry *reg)
{
    (void)reg;
}
#endif

/* flock(LOCK_EX) of fd, waited for as the directory allows.  0, or
 * -xsipc_error with st set (fd stays open). */
static int wait_lock(xsipc_registry *reg, int fd, xsipc_status *st)
{
    struct timespec nap = {0, 20000};
    long waited_us = 0;
    int err;

    for (;;) {
        /* In a private directory only our peers can hold the lock, and
         * they hold it for a few system calls: wait as long as it takes. */
        if (flock(fd, reg->shared ? LOCK_EX | LOCK_NB : LOCK_EX) == 0)
            return 0;
        err = errno;
        if (err == EINTR)
            continue;
        if (err != EWOULDBLOCK || waited_us >= LOCK_WAIT_MS * 1000L)
            break;
        (void)nanosleep(&nap, NULL);
        waited_us += nap.tv_nsec / 1000;
        if (nap.tv_nsec < 2000000)
            nap.tv_nsec *= 2;
    }
    errno = err;
    if (err == EWOULDBLOCK)
        return xsipc__status_path(st, XSIPC_TIMEOUT, DIR_WHAT, NULL, reg->dir,
                                  "the registry stayed locked (flock) by "
                                  "another process for %d ms",
                                  LOCK_WAIT_MS);
    return xsipc__status_path(st, XSIPC_KEY_ERROR, DIR_WHAT, NULL, reg->dir,
                              "cannot lock the registry: %s", strerror(err));
}

int xsipc__reg_lock(xsipc_registry *reg, xsipc_status *st)
{
    int fd = kept_take(reg), rc, err;

    if (fd >= 0) {
        if ((rc = wait_lock(reg, fd, st)) == 0)
            return fd;
        err = errno;
        kept_give(reg);
        errno = err;
        return rc;
    }
    /* A description of our own for this one lock. */
    fd = openat(reg->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dir_error(reg->dir, errno, st);
    if ((rc = wait_lock(reg, fd, st)) == 0)
        return fd;
    err = errno;
    (void)close(fd);
    errno = err;
    return rc;
}

void xsipc__reg_unlock(int lockfd)
{
    int saved = errno;

    if (lockfd < 0)
        return;
    /* An explicit LOCK_UN: a child forked (by another thread) while the
     * lock was held shares the open file description, and a mere close
     * here would leave the lock held for as long as that child lives. */
    (void)flock(lockfd, LOCK_UN);
#if defined(__GNUC__)
    if (kept_held != NULL && lockfd == kept_held->lockfd) {
        kept_give(kept_held); /* the registry's own: it stays open */
        errno = saved;
        return;
    }
#endif
    (void)close(lockfd);
    errno = saved;
}
