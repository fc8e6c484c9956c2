/* SPDX-License-Identifier: MIT */
/*
 * make.c -- making key files so that no two names share a key_t: under
 * the registry lock, a new key file (or, in a persistent registry, one Qt
 * made) gets a key no other file holds, a claim of it and a record.
 *
 * Qt's key_t is ftok(key file, 'Q'): one byte of proj, one of the device
 * and only the low 16 bits of the inode.  Two key files whose inodes agree
 * in those 16 bits give one key, and Qt then silently shares one segment
 * between two names.  xsipc never lets that happen:
 *
 *  - Each key is claimed by one key file: a symbolic link .claim-KKKKKKKK
 *    naming the file.  symlinkat() fails with EEXIST when the link exists,
 *    so making it is an atomic claim, found again in O(1) by its name.
 *  - A key file is made under a temporary name (.new-PID-N), so that no
 *    one can see it before its key is settled; its key is claimed and its
 *    record written, and only then does it take its final name, with
 *    renameat2(RENAME_NOREPLACE), which fails rather than replace a file a
 *    Qt program made meanwhile (and keeps one link, unlike link+unlink).
 *  - When the new inode's key is claimed by another live key file, the
 *    inode is parked (renamed to .park-KKKKKKKK-N and kept) so that the file
 *    system cannot hand the same inode out again, and a new temporary file
 *    is made, until one has a free key.  The final path's own inode then
 *    gives a key no other file has: ftok(path, 'Q') is unique, for Qt too.
 *    In a persistent registry another proj id may be taken instead (it is
 *    written in the record); Qt programs cannot reach such a name.
 *  - A claim whose file is gone, or has another key now, is stale: the next
 *    maker of that key removes it, under the lock.
 *  - A key that no claim held is taken only when no System V object exists
 *    at it (asked of the registry's opener: reg->in_use).  In Qt's life
 *    cycle a key file made by Qt is used without a claim (its claim would
 *    be left behind when the Qt program removes the file), so an object at
 *    an unclaimed key may be a Qt name's, and must not be shared.
 *
 * Everything that changes claims or makes key files runs under the registry
 * lock, so two xsipc processes never race on a claim; Qt programs make and
 * remove key files without it, which every step here allows for.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

#if !HAVE_RENAMEAT2
#include <sys/syscall.h>
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
/* glibc before 2.28 has no wrapper; the system call is older (3.15). */
static int renameat2(int olddirfd, const char *oldpath, int newdirfd,
                     const char *newpath, unsigned flags)
{
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath,
                        flags);
#else
    (void)olddirfd, (void)oldpath, (void)newdirfd, (void)newpath, (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}
#endif

/*
 * New inodes tried for one key file.  In a registry that Qt programs share
 * the key must stay ftok(path, 'Q'), so the bound is generous: ext4 spreads
 * a directory's inodes over block groups whose low 16 bits overlap, so a
 * run of new inodes can all hit keys of older files (each try parks one
 * inode and costs seven system calls).  In a persistent registry a
 * colliding inode takes another proj id at once: no parked files, and the
 * 65,536 keys of one proj are no limit.
 */
#define TRIES_QT 1024
#define TRIES_OWN 1

/* Claims key for a new key file: take_claim, but a new claim of a key that
 * has an object already is given up (see the top of the file).  A kept
 * claim named this file: an object there is this name's own. */
static int take_new_key(xsipc_registry *reg, key_t key, const char *file)
{
    char name[32];
    int rc = xsipc__reg_take_claim(reg, key, file);

    if (rc != XSIPC__TAKE_NEW || reg->in_use == NULL || !reg->in_use(key))
        return rc;
    xsipc__reg_claim_name(key, name, sizeof name);
    (void)unlinkat(reg->dirfd, name, 0);
    return XSIPC__TAKE_BUSY;
}

/* A new, empty temporary key file; its name goes to temp. */
static int make_temp(xsipc_registry *reg, char *temp, size_t len)
{
    static unsigned counter;
    unsigned i, n;
    int fd;

    for (i = 0; i < 100; i++) {
#if defined(__GNUC__)
        n = __atomic_fetch_add(&counter, 1u, __ATOMIC_RELAXED);
#else
        n = counter++;
#endif
        (void)snprintf(temp, len, XSIPC__TEMP_PREFIX "%ld-%u", (long)getpid(),
                       n);
        /* Qt's flags: O_EXCL, and a crash's leftover of a reused pid is
         * skipped rather than taken over. */
        fd = openat(reg->dirfd, temp,
                    O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW,
                    reg->file_mode);
        /* The umask takes the group's write bit from 0660; a shared group
         * registry asked for it.  (Qt's 0640 stays as the umask makes it,
         * as Qt's does.) */
        if (fd >= 0 && (reg->flags & XSIPC_REGISTRY_GROUP) != 0)
            (void)fchmod(fd, reg->file_mode);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    errno = EEXIST;
    return -1;
}

/* Keeps temp's inode, whose proj-'Q' key kq is taken, alive under a
 * parked name, which goes to name (64 bytes); without a free slot the
 * inode is let go and name is "". */
static void park(xsipc_registry *reg, const char *temp, key_t kq, char *name)
{
    unsigned n;

    for (n = 0; n < XSIPC__PARK_MAX; n++) {
        xsipc__reg_park_name(kq, n, name, 64);
        if (renameat2(reg->dirfd, temp, reg->dirfd, name, RENAME_NOREPLACE) ==
            0)
            return;
        if (errno != EEXIST)
            break;
    }
    name[0] = '\0';
    (void)unlinkat(reg->dirfd, temp, 0);
}

/*
 * Gives temp the name file, failing with EEXIST when file exists.
 * renameat2(RENAME_NOREPLACE) does it in one step (Linux 3.15, on every
 * common file system); where the file system refuses the flag, link+unlink
 * does the same with a moment of two links, which a reader then refuses.
 */
static int publish(xsipc_registry *reg, const char *temp, const char *file)
{
    int err;

    if (renameat2(reg->dirfd, temp, reg->dirfd, file, RENAME_NOREPLACE) == 0)
        return 0;
    err = errno;
    if (err != EINVAL && err != ENOSYS)
        return -1;
    if (linkat(reg->dirfd, temp, reg->dirfd, file, 0) != 0)
        return -1;
    (void)unlinkat(reg->dirfd, temp, 0);
    return 0;
}

/* Settles the key of the temporary file's inode (stat sb): proj 'Q' when
 * its key is free, another proj on the last try in a persistent registry.
 * Returns the proj, or 0 when every key tried is taken (*busy tells
 * whether 'Q' was taken by something no claim of ours holds: an object,
 * or a stranger's claim); *fresh tells
 * whether the claim was made now (and must go if the file is not
 * published). */
static int pick_key(xsipc_registry *reg, const char *file,
                    const struct stat *sb, int last, int *fresh, int *busy)
{
    int rc, i, proj;

    rc = take_new_key(reg, xsipc__reg_ftok(sb, XSIPC__PROJ), file);
    *busy = rc == XSIPC__TAKE_BUSY || rc == XSIPC__TAKE_FOREIGN;
    if (rc == XSIPC__TAKE_NEW || rc == XSIPC__TAKE_KEPT) {
        *fresh = rc == XSIPC__TAKE_NEW;
        return XSIPC__PROJ;
    }
    if (!last || (reg->flags & XSIPC_REGISTRY_PERSISTENT) == 0)
        return 0;
    /* Every other proj id, from 'R' on, never 0 (ftok would give key 0,
     * which is IPC_PRIVATE, for inode 0 of device 0). */
    for (i = 1; i < 255; i++) {
        proj = (XSIPC__PROJ - 1 + i) % 255 + 1;
        rc = take_new_key(reg, xsipc__reg_ftok(sb, proj), file);
        if (rc == XSIPC__TAKE_NEW || rc == XSIPC__TAKE_KEPT) {
            *fresh = rc == XSIPC__TAKE_NEW;
            return proj;
        }
    }
    return 0;
}

/* Parked inodes of keys that only an object or a stranger's claim held:
 * no removal of a claim of ours will take them, so the creation that made
 * them does. */
#define BUSY_PARKS 32

static void unpark(xsipc_registry *reg, char busy[][64], int n)
{
    int i;

    for (i = 0; i < n; i++)
        (void)unlinkat(reg->dirfd, busy[i], 0);
}

static int create_error(xsipc_registry *reg, const char *file, xsipc_error code,
                        const char *what, int err, xsipc_status *st)
{
    errno = err;
    return xsipc__reg_file_error(
        reg, file, st, code, "cannot create the key file: %s%s%s", what,
        err != 0 ? ": " : "", err != 0 ? strerror(err) : "");
}

/* The rest of xsipc__reg_create_locked, once the key is settled (fd < 0:
 * no key was found). */
static int create_file(xsipc_registry *reg, xsipc__kind kind, const char *name,
                       xsipc__key *out, int fd, const char *temp,
                       const struct stat *sb, int proj, int fresh,
                       xsipc_status *st)
{
    int persistent = (reg->flags & XSIPC_REGISTRY_PERSISTENT) != 0;
    const char *what = "writing its record";
    int err;

    if (fd < 0) {
        errno = EEXIST;
        return xsipc__reg_file_error(
            reg, out->file, st, XSIPC_KEY_COLLISION,
            "cannot create the key file: the keys of %d new inodes were all "
            "claimed",
            persistent ? TRIES_OWN : TRIES_QT);
    }
    out->key = xsipc__reg_ftok(sb, proj);
    if (xsipc__reg_write_record(fd, kind, name, out->key, proj,
                                (persistent ? XSIPC__REC_PERSISTENT : 0) |
                                    (out->keep ? XSIPC__REC_KEEP : 0),
                                0) != 0) {
        err = errno;
        goto undo;
    }
    if (publish(reg, temp, out->file) != 0) {
        err = errno;
        what = "renaming it into place";
        if (err != EEXIST)
            goto undo;
        /* A Qt program made the file between our check and now: use
         * theirs.  Our claim goes, unless their inode has our key. */
        if (fresh && !xsipc__reg_has_key(reg, out->file, out->key))
            xsipc__reg_drop_claim(reg, out->key, out->file);
        (void)unlinkat(reg->dirfd, temp, 0);
        (void)close(fd);
        return 1;
    }
    (void)close(fd);
    xsipc__reg_set_link(reg, out->file, out->key);
    out->dev = sb->st_dev;
    out->ino = sb->st_ino;
    out->proj = proj;
    out->persistent = persistent;
    out->created = 1;
    return 0;

undo:
    if (fresh)
        xsipc__reg_drop_claim(reg, out->key, out->file);
    (void)unlinkat(reg->dirfd, temp, 0);
    (void)close(fd);
    return create_error(reg, out->file, XSIPC_KEY_ERROR, what, err, st);
}

int xsipc__reg_create_locked(xsipc_registry *reg, xsipc__kind kind,
                             const char *name, xsipc__key *out,
                             xsipc_status *st)
{
    int persistent = (reg->flags & XSIPC_REGISTRY_PERSISTENT) != 0;
    int tries = persistent ? TRIES_OWN : TRIES_QT;
    char temp[64], parked[64], busy_parks[BUSY_PARKS][64];
    struct stat sb;
    key_t old;
    int t, fd = -1, proj = 0, fresh = 0, busy = 0, nbusy = 0, err, rc;

    /* Made while we waited for the lock: by an xsipc peer, or by Qt. */
    if (fstatat(reg->dirfd, out->file, &sb, AT_SYMLINK_NOFOLLOW) == 0)
        return 1;
    if (errno != ENOENT)
        return create_error(reg, out->file, XSIPC_KEY_ERROR, "stat", errno, st);
    /* A Qt program removed an earlier incarnation of the file: its claim
     * (named by .name-) is stale now. */
    if (!persistent && (old = xsipc__reg_link_key(reg, out->file)) != 0)
        xsipc__reg_drop_claim(reg, old, out->file);

    for (t = 0; t < tries; t++) {
        if ((fd = make_temp(reg, temp, sizeof temp)) < 0)
            return create_error(reg, out->file, XSIPC_KEY_ERROR,
                                "making its temporary file", errno, st);
        if (fstat(fd, &sb) != 0) {
            err = errno;
            (void)unlinkat(reg->dirfd, temp, 0);
            (void)close(fd);
            return create_error(reg, out->file, XSIPC_KEY_ERROR, "fstat", err,
                                st);
        }
        proj = pick_key(reg, out->file, &sb, t == tries - 1, &fresh, &busy);
        if (proj > 0)
            break;
        /* The key is another file's: keep this inode out of the way so
         * that the next file gets another one. */
        park(reg, temp, xsipc__reg_ftok(&sb, XSIPC__PROJ), parked);
        if (busy && parked[0] != '\0') {
            if (nbusy < BUSY_PARKS)
                memcpy(busy_parks[nbusy++], parked, sizeof parked);
            else
                (void)unlinkat(reg->dirfd, parked, 0);
        }
        (void)close(fd);
        fd = -1;
    }
    rc = create_file(reg, kind, name, out, fd, temp, &sb, proj, fresh, st);
    unpark(reg, busy_parks, nbusy);
    return rc;
}

int xsipc__reg_adopt_locked(xsipc_registry *reg, xsipc__kind kind,
                            const char *name, xsipc__key *out, xsipc_status *st)
{
    char target[256];
    struct stat sb;
    int fd, rc;

    /* Looked up again under the lock: the caller saw it unclaimed.  A
     * file unlinked meanwhile, even between this openat and its fstat, is
     * gone (ENOENT): claiming its key, or writing a record into it, would
     * claim for the name an inode no one can find. */
    fd = xsipc__reg_open_file(reg, out->file, O_RDWR, &sb);
    if (fd < 0 && errno == EACCES) /* root's 0640 file, say: no record */
        fd = xsipc__reg_open_file(reg, out->file, O_RDONLY, &sb);
    if (fd < 0)
        return errno == ENOENT ? 1 : 0;
    if (sb.st_dev != out->dev || sb.st_ino != out->ino) {
        (void)close(fd);
        return 1; /* another file now: look again */
    }
    /* The lookup's checks, again on the descriptor that is used. */
    if ((rc = xsipc__reg_check_file(reg, out->file, &sb, st)) < 0) {
        (void)close(fd);
        return rc;
    }
    switch (xsipc__reg_take_claim(reg, out->key, out->file)) {
    case XSIPC__TAKE_NEW:
    case XSIPC__TAKE_KEPT:
        break;
    case XSIPC__TAKE_FOREIGN:
        /* Planted since the lookup saw no claim. */
        (void)close(fd);
        return xsipc__reg_foreign_claim(reg, out->key, out->file, st);
    default:
        (void)close(fd);
        target[0] = '\0';
        (void)xsipc__reg_claim_state(reg, out->key, out->file, target);
        return xsipc__reg_key_held(reg, out->key, out->file, target, st);
    }
    xsipc__reg_set_link(reg, out->file, out->key);
    /* Qt made it empty: record the name, once.  Under the registry lock
     * no other xsipc process writes it; write_record takes the file's lock
     * for the readers. */
    if (sb.st_size == 0)
        (void)xsipc__reg_write_record(
            fd, kind, name, out->key, out->proj,
            XSIPC__REC_PERSISTENT | (out->keep ? XSIPC__REC_KEEP : 0), 1);
    (void)close(fd);
    out->persistent = 1;
    return 0;
}
