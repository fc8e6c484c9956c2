/*
 * registry.c -- a registry directory: opening it, and resolving names to
 * key files and key_t values.
 *
 * The key_t of a name is ftok(key file, 'Q'), as Qt computes it, so the
 * key file's inode *is* the key.  Everything here guards that inode: the
 * directory is held open (dirfd) and every key file is reached through
 * openat/fstatat on it, so a directory renamed or replaced under our feet
 * cannot redirect us; key files are opened with O_NOFOLLOW and checked with
 * fstat on the open descriptor, never by a stat of the path followed by an
 * open (the classic /tmp race).
 *
 * Files only: no System V IPC call is made here.  A lookup costs a fixed
 * number of system calls (two opens at most per attempt, one fstat, one
 * close), whatever the size of the directory: there is no scan.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/registry.h"

#ifndef NAME_MAX
#define NAME_MAX 255
#endif
#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define PUBLIC_FLAGS (XSIPC_REGISTRY_PERSISTENT | XSIPC_REGISTRY_GROUP)
#define ALL_FLAGS (PUBLIC_FLAGS | XSIPC__REG_NATIVE)

/* Bytes of a directory or file name shown in a message: enough for a
 * whole Qt key file name (at most 255) is not affordable in a 256-byte
 * status, so both halves of a path are bounded. */
#define PART_SHOWN 100
#define PART_BUF (PART_SHOWN + 4)
#define PATH_BUF (2 * PART_BUF + 2)

/*
 * An EEXIST from the O_EXCL create followed by ENOENT from the plain open
 * means another process removed the key file in between (Qt removes it
 * with the last user).  Trying again is right; a bound keeps the cost of a
 * lookup constant even against a process that loops create/remove.
 */
#define RESOLVE_ATTEMPTS 4

/* "<dir>/<file>" for a message, escaped and bounded. */
static const char *shown_path(const xsipc_registry *reg, const char *file,
                              char *buf, size_t len)
{
    char d[PART_BUF], f[PART_BUF];
    /* The root directory is the one whose name already ends in '/'. */
    const char *sep = strcmp(reg->dir, "/") == 0 ? "" : "/";

    (void)snprintf(buf, len, "%s%s%s",
                   xsipc__reg_quote(reg->dir, PART_SHOWN, d, sizeof d), sep,
                   xsipc__reg_quote(file, PART_SHOWN, f, sizeof f));
    return buf;
}

/* ------------------------------------------------------------------ open */

/* The message for a realpath or open failure on the directory itself. */
static int dir_error(const char *path, int err, xsipc_status *st)
{
    char p[PART_BUF];
    xsipc_error code;

    xsipc__reg_quote(path, PART_SHOWN, p, sizeof p);
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
    return xsipc__status_set(st, code, "registry directory \"%s\": %s", p,
                             strerror(err));
}

/*
 * Whether a key file in a directory of mode and owner given by sb can be
 * trusted.  Anyone who can write a directory can delete and recreate the
 * entries in it, and so choose our key_t; the sticky bit (as on /tmp)
 * limits that to each entry's owner.  A directory owned by a stranger can
 * be made writable by them at any time.
 */
static int dir_trusted(const char *dir, const struct stat *sb, xsipc_status *st)
{
    char d[PART_BUF];
    uid_t me = geteuid();

    xsipc__reg_quote(dir, PART_SHOWN, d, sizeof d);
    if ((sb->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
        (sb->st_mode & S_ISVTX) == 0)
        return xsipc__status_set(
            st, XSIPC_UNTRUSTED,
            "registry directory \"%s\" is writable by %s without the sticky "
            "bit (mode %04o)",
            d, (sb->st_mode & S_IWOTH) != 0 ? "others" : "its group",
            (unsigned)(sb->st_mode & 07777));
    if (sb->st_uid != me && sb->st_uid != 0)
        return xsipc__status_set(
            st, XSIPC_UNTRUSTED,
            "registry directory \"%s\" is owned by uid %lu, not by us "
            "(uid %lu) or root",
            d, (unsigned long)sb->st_uid, (unsigned long)me);
    return 0;
}

/* Opens the directory real (already resolved) and checks it; the new
 * descriptor is stored in *fd. */
static int open_dir(const char *real, int *fd, xsipc_status *st)
{
    struct stat sb;
    int err, rc;

    /* O_NOFOLLOW: real has no links in it; if the last component became
     * one since realpath, someone is swapping it and we refuse. */
    *fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (*fd < 0) {
        err = errno;
        if (err == ENOTDIR) {
            char p[PART_BUF];
            return xsipc__status_set(
                st, XSIPC_KEY_ERROR, "registry directory \"%s\": %s",
                xsipc__reg_quote(real, PART_SHOWN, p, sizeof p), strerror(err));
        }
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
    return rc;
}

xsipc_registry *xsipc__reg_open(const char *dir, unsigned flags,
                                xsipc_status *st)
{
    char def[PATH_MAX];
    xsipc_registry *reg;
    const char *path = dir;
    char *real;
    int fd, err;

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
    if (open_dir(real, &fd, st) < 0) {
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
    reg->dir = real;
    /* Qt's modes by default; a group of cooperating users opts in. */
    if ((flags & XSIPC_REGISTRY_GROUP) != 0) {
        reg->obj_mode = 0660;
        reg->file_mode = 0660;
    } else {
        reg->obj_mode = 0600;
        reg->file_mode = 0640;
    }
    if (st != NULL) {
        st->code = XSIPC_NO_ERROR;
        st->text[0] = '\0';
    }
    return reg;
}

xsipc_registry *xsipc_registry_open(const char *dir, unsigned flags,
                                    xsipc_status *status)
{
    /* XSIPC__REG_NATIVE and later private bits are not the caller's. */
    if ((flags & ~PUBLIC_FLAGS) != 0) {
        (void)xsipc__status_set(status, XSIPC_INVALID_ARGUMENT,
                                "xsipc_registry_open: unknown flags 0x%x",
                                flags & ~PUBLIC_FLAGS);
        errno = EINVAL;
        return NULL;
    }
    return xsipc__reg_open(dir, flags, status);
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
    (void)close(reg->dirfd);
    free(reg->dir);
    free(reg);
    errno = saved;
}

const char *xsipc_registry_dir(const xsipc_registry *reg)
{
    return reg->dir;
}

/* --------------------------------------------------------------- resolve */

/* In a native registry the caller's name is the file name itself (Qt's
 * setNativeKey); it must stay inside the directory. */
static int native_name(const char *name, char *buf, size_t len,
                       xsipc_status *st)
{
    char n[PART_BUF];
    size_t name_len;

    if (name == NULL || name[0] == '\0')
        return xsipc__status_set(st, XSIPC_KEY_ERROR,
                                 "native key: the file name is empty");
    xsipc__reg_quote(name, PART_SHOWN, n, sizeof n);
    if (strchr(name, '/') != NULL)
        return xsipc__status_set(
            st, XSIPC_KEY_ERROR,
            "native key \"%s\": not a plain file name (contains '/')", n);
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return xsipc__status_set(st, XSIPC_KEY_ERROR,
                                 "native key \"%s\": names a directory", n);
    name_len = strlen(name);
    if (name_len > NAME_MAX || name_len >= len)
        return xsipc__status_set(
            st, XSIPC_KEY_ERROR,
            "native key \"%s\": %zu bytes, over NAME_MAX (%d)", n, name_len,
            NAME_MAX);
    memcpy(buf, name, name_len + 1);
    return 0;
}

/* Maps the errno of an openat of a key file. */
static int open_error(const xsipc_registry *reg, const char *file, int create,
                      int err, xsipc_status *st)
{
    char p[PATH_BUF];
    int rc;

    shown_path(reg, file, p, sizeof p);
    switch (err) {
    case ELOOP:
        /* O_NOFOLLOW's answer for a symbolic link as last component: a
         * link where a key file belongs would let its author pick our
         * key_t (and Qt, which follows it, would be fooled). */
        rc = xsipc__status_set(st, XSIPC_UNTRUSTED,
                               "key file %s is a symbolic link", p);
        break;
    case EACCES:
    case EPERM:
        rc = xsipc__status_set(st, XSIPC_PERMISSION_DENIED, "key file %s: %s",
                               p, strerror(err));
        break;
    case ENOENT:
        /* Without create, the name was never registered (or its last user
         * is gone).  With create, it means the directory itself has been
         * removed, or the file kept vanishing between our two opens. */
        if (!create)
            rc = xsipc__status_set(st, XSIPC_NOT_FOUND, "no key file %s", p);
        else
            rc = xsipc__status_set(st, XSIPC_KEY_ERROR,
                                   "cannot create key file %s: %s", p,
                                   strerror(err));
        break;
    default:
        rc = xsipc__status_set(st, XSIPC_KEY_ERROR, "key file %s: %s", p,
                               strerror(err));
        break;
    }
    errno = err;
    return rc;
}

/* Opens (and with create, first tries to create) the key file. */
static int open_key_file(const xsipc_registry *reg, const char *file,
                         int create, int *created, xsipc_status *st)
{
    int attempt, fd, err = ENOENT;

    *created = 0;
    for (attempt = 0; attempt < RESOLVE_ATTEMPTS; attempt++) {
        if (create) {
            /* As Qt creates it (plus O_NOFOLLOW): O_EXCL makes exactly one
             * of several racing processes the creator.  With O_EXCL a
             * symbolic link at the path is never followed: EEXIST. */
            fd = openat(reg->dirfd, file,
                        O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW,
                        reg->file_mode);
            if (fd >= 0) {
                *created = 1;
                return fd;
            }
            err = errno;
            if (err != EEXIST)
                return open_error(reg, file, create, err, st);
        }
        /* O_NONBLOCK: a FIFO planted at the path would otherwise block
         * this open until a writer came; fstat below rejects it. */
        fd = openat(reg->dirfd, file,
                    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd >= 0)
            return fd;
        err = errno;
        if (!create || err != ENOENT)
            break;
    }
    return open_error(reg, file, create, err, st);
}

/* The checks of DESIGN.md section 6 on the open key file. */
static int check_key_file(const xsipc_registry *reg, const char *file,
                          const struct stat *sb, xsipc_status *st)
{
    char p[PATH_BUF];
    uid_t me = geteuid();

    if (!S_ISREG(sb->st_mode))
        return xsipc__status_set(st, XSIPC_KEY_ERROR,
                                 "key file %s is not a regular file",
                                 shown_path(reg, file, p, sizeof p));
    /* A second link elsewhere (made by whoever can read the file) would
     * survive our unlink and keep our key_t reachable from another name. */
    if (sb->st_nlink != 1)
        return xsipc__status_set(
            st, XSIPC_UNTRUSTED, "key file %s has %lu hard links",
            shown_path(reg, file, p, sizeof p), (unsigned long)sb->st_nlink);
    if (sb->st_uid != me && sb->st_uid != 0)
        return xsipc__status_set(
            st, XSIPC_UNTRUSTED,
            "key file %s is owned by uid %lu, not by us (uid %lu) or root",
            shown_path(reg, file, p, sizeof p), (unsigned long)sb->st_uid,
            (unsigned long)me);
    return 0;
}

int xsipc__reg_resolve(xsipc_registry *reg, xsipc__kind kind, const char *name,
                       int create, xsipc__key *out, xsipc_status *st)
{
    struct stat sb;
    uint32_t key;
    int fd, rc, created, err;

    if (reg == NULL || out == NULL)
        return xsipc__status_set(st, XSIPC_INVALID_ARGUMENT,
                                 "key lookup: no registry or no key");
    out->created = 0;
    if ((reg->flags & XSIPC__REG_NATIVE) != 0)
        rc = native_name(name, out->file, sizeof out->file, st);
    else
        rc = xsipc__reg_file_name(kind, name, out->file, sizeof out->file, st);
    if (rc < 0)
        return rc;

    fd = open_key_file(reg, out->file, create, &created, st);
    if (fd < 0)
        return fd;
    if (fstat(fd, &sb) != 0) {
        err = errno;
        (void)close(fd);
        return open_error(reg, out->file, create, err, st);
    }
    /* The descriptor was only needed for fstat: the key is the inode. */
    (void)close(fd);
    rc = check_key_file(reg, out->file, &sb, st);
    if (rc < 0)
        return rc;

    /* ftok() as glibc and every Linux libc compute it (and as Qt gets it):
     * proj in the top byte, then the low byte of the device number, then
     * the low 16 bits of the inode number.  Computed here from the fstat
     * of the descriptor rather than by ftok(path), which would stat the
     * path again and could see another file. */
    key = ((uint32_t)(XSIPC__PROJ & 0xff) << 24) |
          ((uint32_t)(sb.st_dev & 0xff) << 16) | (uint32_t)(sb.st_ino & 0xffff);
    out->key = (key_t)key;
    out->dev = sb.st_dev;
    out->ino = sb.st_ino;
    out->created = created;
    return 0;
}

int xsipc__reg_current(const xsipc_registry *reg, const xsipc__key *k)
{
    struct stat sb;
    int saved = errno, same;

    /* AT_SYMLINK_NOFOLLOW: a link put in the key file's place is not the
     * key file, whatever it points to. */
    same = fstatat(reg->dirfd, k->file, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           sb.st_dev == k->dev && sb.st_ino == k->ino;
    errno = saved;
    return same;
}

void xsipc__reg_release(xsipc_registry *reg, const xsipc__key *k)
{
    int saved = errno;

    /* A native key file is the caller's own path, never ours to remove. */
    if ((reg->flags & (XSIPC_REGISTRY_PERSISTENT | XSIPC__REG_NATIVE)) != 0)
        return;
    /* Only the inode the key came from: a new key file made meanwhile by
     * another process (after a Qt peer removed ours) belongs to its new
     * users.  Between this check and the unlink the file can still be
     * replaced; the window is as small as Qt's, which checks nothing. */
    if (!xsipc__reg_current(reg, k))
        return;
    /* ENOENT: another last user removed it first, which is just as good.
     * Other failures leave a stale but harmless file for gc. */
    (void)unlinkat(reg->dirfd, k->file, 0);
    errno = saved;
}
