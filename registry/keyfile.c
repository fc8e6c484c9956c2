/* SPDX-License-Identifier: MIT */
/*
 * keyfile.c -- a key file: opening and checking it, its key, and the
 * record it holds (read and written; record.c parses and formats it).
 *
 * A key file is opened with O_NOFOLLOW and checked with fstat on the open
 * descriptor, never by a stat of the path followed by an open (the classic
 * /tmp race): a regular file, a trusted owner, one link -- or two when the
 * second is the file's own claim (DESIGN.md section 6; claim.c tells, once
 * the key is known).  Its key is computed from that fstat as ftok() would
 * compute it from the path.  A record is written once, into a file no one
 * else writes (make.c); a reader that sees a part of one waits for the
 * writer's flock.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
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
#include "common/proc.h"
#include "registry/internal.h"

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
    /* A link elsewhere (made by whoever may link the file) would survive
     * our unlink and keep our key_t reachable from another name.  One
     * second link is allowed here: the file's claim, which the caller
     * checks it is (xsipc__reg_file_claim, xsipc__reg_check_links). */
    if (sb->st_nlink > 2) {
        errno = EMLINK;
        return xsipc__reg_file_error(reg, file, st, XSIPC_UNTRUSTED,
                                     "the key file has %lu hard links",
                                     (unsigned long)sb->st_nlink);
    }
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

/* A reader that sees a part of the record waits for the writer's lock
 * (xsipc__reg_read_record). */
int xsipc__reg_write_record(int fd, xsipc__kind kind, const char *name,
                            key_t key, int proj, unsigned flags, int lock)
{
    static xsipc__record rec_zero;
    xsipc__record *rec;
    pid_t pid;
    char *buf;
    size_t len, name_len = strlen(name);
    ssize_t n = -1;

    /* Heap: the two buffers are 9 KB, and this runs inside callers'
     * stacks that may be small (threads). */
    rec = malloc(sizeof *rec);
    buf = malloc(XSIPC__REC_MAX);
    if (rec == NULL || buf == NULL) {
        free(rec);
        free(buf);
        errno = ENOMEM;
        return -1;
    }
    *rec = rec_zero;
    rec->kind = (int)kind;
    rec->proj = proj;
    rec->key = (uint32_t)key;
    rec->start = xsipc__proc_self(&pid);
    rec->pid = (long)pid;
    rec->time = (int64_t)time(NULL);
    rec->flags = flags;
    /* A longer name goes unrecorded: the file name still finds it. */
    if (name_len <= XSIPC__REC_NAME_MAX) {
        memcpy(rec->name, name, name_len + 1);
        rec->name_len = name_len;
    }
    len = xsipc__rec_format(rec, buf, XSIPC__REC_MAX);
    if (len > 0 && (!lock || flock(fd, LOCK_EX) == 0)) {
        n = pwrite(fd, buf, len, 0);
        if (lock)
            (void)flock(fd, LOCK_UN);
    }
    free(rec);
    free(buf);
    if (len == 0)
        errno = EINVAL;
    else if (n >= 0 && (size_t)n != len)
        errno = ENOSPC; /* a short write: the disk is full */
    return n >= 0 && (size_t)n == len ? 0 : -1;
}
