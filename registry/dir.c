/* SPDX-License-Identifier: MIT */
/*
 * dir.c -- a registry directory: opening it, trusting uids, the handle's
 * references, and what lib/ may read of the handle.
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
 * The registry lock, an flock() of the directory, is lock.c's; the
 * default registry, opened once per process, is default.c's.  Files only:
 * no System V IPC call is made here.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The message for a realpath or open failure on the directory itself
 * (lock.c's openat too). */
int xsipc__reg_dir_error(const char *path, int err, xsipc_status *st)
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
        return xsipc__reg_dir_error(real, err, st);
    }
    /* The checks are made on the descriptor we will use, not the path. */
    if (fstat(*fd, &sb) != 0) {
        err = errno;
        (void)close(*fd);
        *fd = -1;
        return xsipc__reg_dir_error(real, err, st);
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
        if (xsipc__reg_default_dir(def, sizeof def, st) < 0)
            return NULL;
        path = def;
    }
    /* The canonical path gives messages and native key paths one spelling
     * for one directory; the key itself comes from the inode anyway. */
    real = realpath(path, NULL);
    if (real == NULL) {
        (void)xsipc__reg_dir_error(path, errno, st);
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

static xsipc__reg_end_fn end_hook;

void xsipc__reg_on_end(xsipc__reg_end_fn fn)
{
#if defined(__GNUC__)
    __atomic_store_n(&end_hook, fn, __ATOMIC_RELEASE);
#else
    end_hook = fn;
#endif
}

void xsipc_registry_close(xsipc_registry *reg)
{
    xsipc__reg_end_fn hook;
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
#if defined(__GNUC__)
    hook = __atomic_load_n(&end_hook, __ATOMIC_ACQUIRE);
#else
    hook = end_hook;
#endif
    if (hook != NULL)
        hook(reg);
    /* Its idle key files go with the process's last reference. */
    xsipc__reg_linger_end(reg);
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
    return reg != NULL ? reg->dir : NULL;
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
