/* SPDX-License-Identifier: MIT */
/*
 * registry.c -- a registry directory: opening it, trusting uids, and
 * resolving names to key files and key_t values.
 *
 * The key_t of a name is ftok(key file, proj), as Qt computes it with
 * proj 'Q', so the key file's inode *is* the key.  Everything here guards
 * that inode: the directory is held open (dirfd) and every key file is
 * reached through openat/fstatat on it, so a directory renamed or replaced
 * under our feet cannot redirect us; key files are opened with O_NOFOLLOW
 * and checked with fstat on the open descriptor, never by a stat of the
 * path followed by an open (the classic /tmp race).
 *
 * Files only: no System V IPC call is made here.  Looking up a name whose
 * key file exists costs a fixed number of system calls (openat, fstat,
 * pread of the record, close; and an fstatat and a readlinkat of the
 * key's claim when no record vouches for it), whatever the
 * size of the directory: there is no scan.  Making a key file (claim.c)
 * takes the registry lock and a few more calls.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

#ifndef NAME_MAX
#define NAME_MAX 255
#endif
#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define ALL_FLAGS (XSIPC__REG_PUBLIC_FLAGS | XSIPC__REG_NATIVE)

/*
 * A lookup that finds no file and then, under the lock, finds one (or the
 * other way round) is racing a peer that makes and removes the key file
 * (Qt removes it with the last user).  Trying again is right; a bound
 * keeps the cost of a lookup constant even against a peer that loops.
 */
#define RESOLVE_ATTEMPTS 4

/* Uids trusted for the whole process (xsipc_registry_trust_uid(NULL)). */
static uid_t process_trust[XSIPC__TRUST_MAX];
static unsigned process_ntrust;

int xsipc__reg_file_error(const xsipc_registry *reg, const char *file,
                          xsipc_status *st, xsipc_error code, const char *fmt,
                          ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = xsipc__status_vpath(st, code, "key file ", reg->dir, file, fmt, ap);
    va_end(ap);
    return rc;
}

key_t xsipc__reg_ftok(const struct stat *sb, int proj)
{
    /* ftok() as glibc and every Linux libc compute it (and as Qt gets it):
     * proj in the top byte, then the low byte of the device number, then
     * the low 16 bits of the inode number.  Computed from an fstat of the
     * open descriptor rather than by ftok(path), which would stat the path
     * again and could see another file. */
    uint32_t key = ((uint32_t)(proj & 0xff) << 24) |
                   ((uint32_t)(sb->st_dev & 0xff) << 16) |
                   (uint32_t)(sb->st_ino & 0xffff);
    return (key_t)key;
}

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
 * descriptor is stored in *fd, and whether others may write it in
 * *shared. */
static int open_dir(const char *real, int *fd, int *shared, xsipc_status *st)
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
    return rc;
}

xsipc_registry *xsipc__reg_open(const char *dir, unsigned flags,
                                xsipc__key_probe_fn in_use, xsipc_status *st)
{
    char def[PATH_MAX];
    xsipc_registry *reg;
    const char *path = dir;
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
    if (open_dir(real, &fd, &shared, st) < 0) {
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

/* How long a lock held by someone else is waited for in a directory that
 * others may write (where anyone can flock it and never let go). */
#define LOCK_WAIT_MS 10000

int xsipc__reg_lock(xsipc_registry *reg, xsipc_status *st)
{
    struct timespec nap = {0, 20000};
    long waited_us = 0;
    int fd, err;

    /* A descriptor of our own: flock belongs to the open file description,
     * so two threads sharing reg->dirfd would not exclude each other. */
    fd = openat(reg->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dir_error(reg->dir, errno, st);
    for (;;) {
        /* In a private directory only our peers can hold the lock, and
         * they hold it for a few system calls: wait as long as it takes. */
        if (flock(fd, reg->shared ? LOCK_EX | LOCK_NB : LOCK_EX) == 0)
            return fd;
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
    (void)close(fd);
    errno = err;
    if (err == EWOULDBLOCK)
        return xsipc__status_path(st, XSIPC_TIMEOUT, DIR_WHAT, NULL, reg->dir,
                                  "the registry stayed locked (flock) by "
                                  "another process for %d ms",
                                  LOCK_WAIT_MS);
    return xsipc__status_path(st, XSIPC_KEY_ERROR, DIR_WHAT, NULL, reg->dir,
                              "cannot lock the registry: %s", strerror(err));
}

void xsipc__reg_unlock(int lockfd)
{
    int saved = errno;

    /* An explicit LOCK_UN: a child forked (by another thread) while the
     * lock was held shares the open file description, and a mere close
     * here would leave the lock held for as long as that child lives. */
    if (lockfd >= 0) {
        (void)flock(lockfd, LOCK_UN);
        (void)close(lockfd);
    }
    errno = saved;
}

/* -------------------------------------------------------------- key files */

/* In a native registry the caller's name is the file name itself (Qt's
 * setNativeKey); it must stay inside the directory. */
static int native_name(const char *name, char *buf, size_t len,
                       xsipc_status *st)
{
    size_t name_len;

    if (name == NULL || name[0] == '\0')
        return xsipc__status_set(st, XSIPC_KEY_ERROR,
                                 "the native key's file name is empty");
    if (strchr(name, '/') != NULL)
        return xsipc__status_path(
            st, XSIPC_KEY_ERROR, "native key ", NULL, name,
            "the native key is not a plain file name (contains '/')");
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return xsipc__status_path(st, XSIPC_KEY_ERROR, "native key ", NULL,
                                  name, "the native key names a directory");
    name_len = strlen(name);
    if (name_len > NAME_MAX || name_len >= len)
        return xsipc__status_path(
            st, XSIPC_KEY_ERROR, "native key ", NULL, name,
            "the native key is %zu bytes, over NAME_MAX (%d)", name_len,
            NAME_MAX);
    memcpy(buf, name, name_len + 1);
    return 0;
}

/* The name has no key file (errno ENOENT). */
static int no_key_file(const xsipc_registry *reg, const char *file,
                       xsipc_status *st)
{
    errno = ENOENT;
    return xsipc__reg_file_error(reg, file, st, XSIPC_NOT_FOUND,
                                 "no such key file");
}

/* Maps the errno of an openat of a key file. */
static int open_error(const xsipc_registry *reg, const char *file, int create,
                      int err, xsipc_status *st)
{
    int rc;

    switch (err) {
    case ELOOP:
        /* O_NOFOLLOW's answer for a symbolic link as last component: a
         * link where a key file belongs would let its author pick our
         * key_t (and Qt, which follows it, would be fooled). */
        rc = xsipc__reg_file_error(reg, file, st, XSIPC_UNTRUSTED,
                                   "the key file is a symbolic link");
        break;
    case EACCES:
    case EPERM:
        rc = xsipc__reg_file_error(reg, file, st, XSIPC_PERMISSION_DENIED,
                                   "cannot open the key file: %s",
                                   strerror(err));
        break;
    case ENOENT:
        /* Without create, the name was never registered (or its last user
         * is gone).  With create, it means the directory itself has been
         * removed, or the file kept vanishing between our two opens. */
        if (!create)
            rc = no_key_file(reg, file, st);
        else
            rc = xsipc__reg_file_error(reg, file, st, XSIPC_KEY_ERROR,
                                       "cannot create the key file: %s",
                                       strerror(err));
        break;
    default:
        rc = xsipc__reg_file_error(reg, file, st, XSIPC_KEY_ERROR,
                                   "cannot open the key file: %s",
                                   strerror(err));
        break;
    }
    errno = err;
    return rc;
}

int xsipc__reg_open_file(const xsipc_registry *reg, const char *file, int flags,
                         struct stat *sb)
{
    int fd, err;

    /* O_NONBLOCK: a FIFO planted at the path would otherwise block this
     * open until a writer came; xsipc__reg_check_file rejects it. */
    fd = openat(reg->dirfd, file, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, sb) != 0) {
        err = errno;
        (void)close(fd);
        errno = err;
        return -1;
    }
    /* st_nlink 0: the last name went between the openat and the fstat
     * (a last user's unlink: Qt removes its key files with the last
     * detach).  The descriptor still reaches the inode, but no one can
     * find it by name any more and its inode number may be handed out
     * again: it is no key file, and not an attack either. */
    if (sb->st_nlink == 0) {
        (void)close(fd);
        errno = ENOENT;
        return -1;
    }
    return fd;
}

int xsipc__reg_check_file(const xsipc_registry *reg, const char *file,
                          const struct stat *sb, xsipc_status *st)
{
    if (!S_ISREG(sb->st_mode))
        return xsipc__reg_file_error(reg, file, st, XSIPC_KEY_ERROR,
                                     "the key file is not a regular file");
    /* A second link elsewhere (made by whoever can read the file) would
     * survive our unlink and keep our key_t reachable from another name. */
    if (sb->st_nlink != 1)
        return xsipc__reg_file_error(reg, file, st, XSIPC_UNTRUSTED,
                                     "the key file has %lu hard links",
                                     (unsigned long)sb->st_nlink);
    if (!xsipc__reg_trusted(reg, sb->st_uid))
        return xsipc__reg_file_error(
            reg, file, st, XSIPC_UNTRUSTED,
            "the key file is owned by uid %lu, not by us (uid %lu), root or "
            "a trusted uid",
            (unsigned long)sb->st_uid, (unsigned long)geteuid());
    return 0;
}

/* How long a reader waits for a writer to finish a record (it writes a
 * few hundred bytes under flock): a truncated record after this is a
 * record that a crash cut. */
#define RECORD_WAIT_TRIES 100

int xsipc__reg_read_record(const xsipc_registry *reg, const char *file, int fd,
                           const struct stat *sb, xsipc__record *rec,
                           xsipc_status *st)
{
    char buf[XSIPC__REC_MAX + 1];
    const struct timespec nap = {0, 1000000};
    const char *why = "";
    ssize_t n;
    int tries, rc = XSIPC__REC_TRUNCATED;

    if (sb->st_size == 0)
        return 0; /* Qt's empty key file */
    if (sb->st_size > XSIPC__REC_MAX)
        return xsipc__reg_file_error(
            reg, file, st, XSIPC_KEY_ERROR,
            "the key file's record of %lld bytes is over the limit of %d",
            (long long)sb->st_size, XSIPC__REC_MAX);
    for (tries = 0; tries < 2; tries++) {
        n = pread(fd, buf, sizeof buf, 0);
        if (n < 0)
            return xsipc__reg_file_error(
                reg, file, st, XSIPC_KEY_ERROR,
                "cannot read the key file's record: %s", strerror(errno));
        if (n == 0)
            return 0;
        if (n > XSIPC__REC_MAX)
            return xsipc__reg_file_error(
                reg, file, st, XSIPC_KEY_ERROR,
                "the key file's record is over the limit of %d bytes",
                XSIPC__REC_MAX);
        rc = xsipc__rec_parse(buf, (size_t)n, rec, &why);
        if (rc != XSIPC__REC_TRUNCATED)
            break;
        /* A record is written under an exclusive flock of the file: when
         * a shared one can be had, the writer is done (or died). */
        if (tries == 0) {
            int i;
            for (i = 0; i < RECORD_WAIT_TRIES; i++) {
                if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
                    (void)flock(fd, LOCK_UN);
                    break;
                }
                if (errno != EWOULDBLOCK && errno != EINTR)
                    break;
                (void)nanosleep(&nap, NULL);
            }
        }
    }
    if (rc == 0)
        return 1;
    errno = EINVAL;
    return xsipc__reg_file_error(
        reg, file, st, XSIPC_KEY_ERROR, "the key file has a %s record (%s)",
        rc == XSIPC__REC_TRUNCATED ? "truncated" : "bad", why);
}

int xsipc__reg_shm_key_of(xsipc_registry *reg, const char *sem_file, key_t *key)
{
    xsipc__record rec;
    xsipc_status st;
    char file[256];
    struct stat sb;
    int fd, proj = XSIPC__PROJ;

    if (strncmp(sem_file, XSIPC__SEM_PREFIX, sizeof XSIPC__SEM_PREFIX - 1) != 0)
        return 0;
    (void)snprintf(file, sizeof file, XSIPC__SHM_PREFIX "%s",
                   sem_file + sizeof XSIPC__SEM_PREFIX - 1);
    fd = openat(reg->dirfd, file,
                O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    if (fstat(fd, &sb) != 0) {
        (void)close(fd);
        return -1;
    }
    if (xsipc__reg_read_record(reg, file, fd, &sb, &rec, &st) == 1)
        proj = rec.proj;
    (void)close(fd);
    *key = xsipc__reg_ftok(&sb, proj);
    return 1;
}

/* --------------------------------------------------------------- resolve */

/* lookup()'s answers besides errors. */
#define LOOK_FOUND 0     /* the key file, with its claim (or no claim use) */
#define LOOK_NOENT 1     /* no key file */
#define LOOK_UNCLAIMED 2 /* a key file no claim holds (Qt made it) */

/* The record of a key file must be about this name and kind: another
 * name would mean a SHA-1 clash or a file written by hand. */
static int record_matches(const xsipc_registry *reg, const char *file,
                          xsipc__kind kind, const char *name,
                          const xsipc__record *rec, xsipc_status *st)
{
    char n[XSIPC__NAME_BUF];

    if (rec->kind != (int)kind)
        return xsipc__reg_file_error(
            reg, file, st, XSIPC_KEY_ERROR, "the key file's record is for a %s",
            rec->kind == XSIPC__KIND_SHM ? "segment" : "semaphore set");
    if (rec->name_len != 0 && (strlen(name) != rec->name_len ||
                               memcmp(name, rec->name, rec->name_len) != 0))
        return xsipc__reg_file_error(reg, file, st, XSIPC_KEY_COLLISION,
                                     "the key file records another name, "
                                     "\"%s\"",
                                     xsipc__status_name(rec->name, n));
    return 0;
}

/* The key file of an existing name: its key, and the state of its claim.
 * The file may change (Qt removes it); the caller decides. */
static int lookup(xsipc_registry *reg, xsipc__kind kind, const char *name,
                  xsipc__key *out, xsipc_status *st)
{
    xsipc__record rec;
    char target[256];
    struct stat sb;
    int fd, rc, has_rec;

    /* ENOENT also for a file unlinked as we opened it: the caller looks
     * the name up again, or makes it. */
    fd = xsipc__reg_open_file(reg, out->file, O_RDONLY, &sb);
    if (fd < 0)
        return errno == ENOENT ? LOOK_NOENT
                               : open_error(reg, out->file, 0, errno, st);
    rc = xsipc__reg_check_file(reg, out->file, &sb, st);
    has_rec =
        rc < 0 ? 0 : xsipc__reg_read_record(reg, out->file, fd, &sb, &rec, st);
    (void)close(fd);
    if (rc < 0)
        return rc;
    if (has_rec < 0)
        return has_rec;
    if (has_rec &&
        (rc = record_matches(reg, out->file, kind, name, &rec, st)) < 0)
        return rc;

    out->proj = has_rec ? rec.proj : XSIPC__PROJ;
    out->persistent = has_rec && (rec.flags & XSIPC__REC_PERSISTENT) != 0;
    out->keep = has_rec && (rec.flags & XSIPC__REC_KEEP) != 0;
    out->key = xsipc__reg_ftok(&sb, out->proj);
    out->dev = sb.st_dev;
    out->ino = sb.st_ino;

    /* A record is written only into a key file whose key xsipc has
     * claimed (claim.c), and the claim goes only after the file: a record
     * of this very key vouches for the claim without reading it.  A key
     * file restored from a copy has a new inode, so another key, and is
     * checked. */
    if (has_rec && rec.key == (uint32_t)out->key)
        return LOOK_FOUND;
    switch (xsipc__reg_claim_state(reg, out->key, out->file, target)) {
    case XSIPC__CLAIM_MINE:
        return LOOK_FOUND;
    case XSIPC__CLAIM_NONE:
    case XSIPC__CLAIM_STALE:
        return LOOK_UNCLAIMED;
    case XSIPC__CLAIM_OTHER:
        /* Two live key files, one key: a Qt program made this one beside
         * ours.  Using it would share the other name's objects. */
        return xsipc__reg_key_held(reg, out->key, out->file, target, st);
    default:
        /* Not a link, or a stranger's: it may name this file, but its
         * owner could drop it and claim the key for another name. */
        return xsipc__reg_foreign_claim(reg, out->key, out->file, st);
    }
}

/* The native-key path (Qt's setNativeKey): the file is the caller's, so
 * it is opened as Qt opens it, without records or claims. */
static int resolve_native(xsipc_registry *reg, int create, xsipc__key *out,
                          xsipc_status *st)
{
    struct stat sb;
    int attempt, fd = -1, err = ENOENT, rc;

    /* Each round ends with a descriptor and its stat, or with the file
     * gone (ENOENT: never there, or unlinked by its last user between the
     * openat and the fstat), which with create is another round. */
    for (attempt = 0; attempt < RESOLVE_ATTEMPTS && fd < 0; attempt++) {
        if (create) {
            /* As Qt creates it (plus O_NOFOLLOW): O_EXCL makes exactly one
             * of several racing processes the creator. */
            fd = openat(reg->dirfd, out->file,
                        O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW,
                        reg->file_mode);
            if (fd >= 0) {
                if (fstat(fd, &sb) != 0)
                    err = errno;
                else if (sb.st_nlink == 0)
                    err = ENOENT; /* made, and unlinked at once */
                else {
                    out->created = 1;
                    break;
                }
                (void)close(fd);
                fd = -1;
                if (err != ENOENT)
                    break;
                continue;
            }
            err = errno;
            if (err != EEXIST)
                return open_error(reg, out->file, create, err, st);
        }
        fd = xsipc__reg_open_file(reg, out->file, O_RDONLY, &sb);
        if (fd < 0) {
            err = errno;
            if (!create || err != ENOENT)
                break;
        }
    }
    if (fd < 0)
        return open_error(reg, out->file, create, err, st);
    (void)close(fd);
    if ((rc = xsipc__reg_check_file(reg, out->file, &sb, st)) < 0)
        return rc;
    out->key = xsipc__reg_ftok(&sb, XSIPC__PROJ);
    out->dev = sb.st_dev;
    out->ino = sb.st_ino;
    return 0;
}

int xsipc__reg_resolve(xsipc_registry *reg, xsipc__kind kind, const char *name,
                       int create, xsipc__key *out, xsipc_status *st)
{
    return xsipc__reg_resolve_keep(reg, kind, name, create, 0, out, st);
}

int xsipc__reg_resolve_keep(xsipc_registry *reg, xsipc__kind kind,
                            const char *name, int create, int keep,
                            xsipc__key *out, xsipc_status *st)
{
    char file[256];
    int attempt, rc, lockfd;

    if (reg == NULL || out == NULL)
        return xsipc__status_set(st, XSIPC_INVALID_ARGUMENT,
                                 "key lookup: no registry or no key");
    if ((reg->flags & XSIPC__REG_NATIVE) != 0)
        rc = native_name(name, file, sizeof file, st);
    else
        rc = xsipc__reg_file_name(kind, name, file, sizeof file, st);
    if (rc < 0)
        return rc;
    memcpy(out->file, file, strlen(file) + 1);
    out->created = 0;
    out->proj = XSIPC__PROJ;
    out->persistent = 0;
    out->keep = 0;
    if ((reg->flags & XSIPC__REG_NATIVE) != 0)
        return resolve_native(reg, create, out, st);

    for (attempt = 0; attempt < RESOLVE_ATTEMPTS; attempt++) {
        rc = lookup(reg, kind, name, out, st);
        if (rc < 0 || rc == LOOK_FOUND)
            return rc;
        /* A key file Qt made, in a registry that follows Qt's life cycle:
         * used as it is.  Claiming it would leave the claim behind when
         * the Qt program removes the file; its key is checked not to be
         * another file's, which is what the claim is for. */
        if (rc == LOOK_UNCLAIMED &&
            (reg->flags & XSIPC_REGISTRY_PERSISTENT) == 0)
            return 0;
        if (rc == LOOK_NOENT && !create)
            return no_key_file(reg, out->file, st);
        if ((lockfd = xsipc__reg_lock(reg, st)) < 0)
            return lockfd;
        out->keep = keep; /* what a record made now will say */
        if (rc == LOOK_NOENT)
            rc = xsipc__reg_create_locked(reg, kind, name, out, st);
        else
            rc = xsipc__reg_adopt_locked(reg, kind, name, out, st);
        xsipc__reg_unlock(lockfd);
        if (rc <= 0)
            return rc;
    }
    errno = ESTALE;
    return xsipc__reg_file_error(reg, out->file, st, XSIPC_KEY_ERROR,
                                 "the key file was made and removed %d times "
                                 "while being resolved",
                                 RESOLVE_ATTEMPTS);
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

int xsipc__reg_remove_locked(xsipc_registry *reg, const xsipc__key *k,
                             xsipc_status *st)
{
    int saved = errno;

    /* Only the inode the key came from: a new key file made meanwhile by
     * another process (after a Qt peer removed ours) belongs to its new
     * users.  Under the lock no xsipc process makes one; a Qt program
     * could, in the window between the test and the unlink, as it could
     * in its own detach. */
    if (!xsipc__reg_current(reg, k))
        return 0;
    /* ENOENT: a Qt program removed it first, which is just as good. */
    if (unlinkat(reg->dirfd, k->file, 0) != 0 && errno != ENOENT)
        return xsipc__reg_file_error(reg, k->file, st, XSIPC_PERMISSION_DENIED,
                                     "cannot remove the key file: %s",
                                     strerror(errno));
    xsipc__reg_drop_claim(reg, k->key, k->file);
    errno = saved;
    return 0;
}

int xsipc__reg_unregister(xsipc_registry *reg, const xsipc__key *k,
                          xsipc_status *st)
{
    int lockfd, rc;

    if ((lockfd = xsipc__reg_lock(reg, st)) < 0)
        return lockfd;
    rc = xsipc__reg_remove_locked(reg, k, st);
    xsipc__reg_unlock(lockfd);
    return rc;
}

int xsipc__reg_follows_qt(const xsipc_registry *reg)
{
    /* A native key file is the caller's own path, never ours to remove. */
    return (reg->flags & (XSIPC_REGISTRY_PERSISTENT | XSIPC__REG_NATIVE)) == 0;
}

void xsipc__reg_drop_new_locked(xsipc_registry *reg, const xsipc__key *k)
{
    if (k->created && (reg->flags & XSIPC__REG_NATIVE) == 0)
        (void)xsipc__reg_remove_locked(reg, k, NULL);
}

void xsipc__reg_release_locked(xsipc_registry *reg, const xsipc__key *k)
{
    if (xsipc__reg_follows_qt(reg))
        (void)xsipc__reg_remove_locked(reg, k, NULL);
}

void xsipc__reg_release(xsipc_registry *reg, const xsipc__key *k)
{
    int saved = errno;

    if (!xsipc__reg_follows_qt(reg) || !xsipc__reg_current(reg, k))
        return;
    /* Without the lock (it timed out), the file still goes, as Qt would
     * remove it; its claim is then stale, and gc or the next maker of the
     * key removes it. */
    if (xsipc__reg_unregister(reg, k, NULL) < 0 && xsipc__reg_current(reg, k))
        (void)unlinkat(reg->dirfd, k->file, 0);
    errno = saved;
}
