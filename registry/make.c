/* SPDX-License-Identifier: MIT */
/*
 * make.c -- making key files so that no two names share a key_t: under
 * the registry lock, a new key file (or, in a persistent registry, one Qt
 * made) gets a key no other file holds, a claim of it and a record.
 *
 * Qt's key_t is ftok(key file, 'Q'): one byte of proj, one of the device
 * and only the low 16 bits of the inode.  Two key files whose inodes agree
 * in those 16 bits give one key, and Qt then silently shares one segment
 * between two names.  xsipc never lets that happen.
 *
 * The states, for a key K of the directory (claim.c judges them):
 *   key file F  a name's file; its inode is the key.  One link when Qt made
 *               it and no one claimed it (or an older xsipc claimed it with
 *               a symbolic link); two when it is claimed: F and .claim-K.
 *   claim       .claim-K, a hard link of F's inode, so its record names F.
 *               linkat() fails when the name exists: one claim per key,
 *               taken atomically, found in O(1), no inode of its own.  Two
 *               links while F lives; one when F is gone, and then it is
 *               stale by itself, with no lock and no other file to read.
 *   park        .park-K-N, one link: an inode whose key collided with a
 *               claimed K, kept while that claim holds, so that the file
 *               system cannot hand the same inode out again.
 *   temp        .new-PID-N: the inode F will be, with its record; two links
 *               from its claim on.  Only a crash leaves one (gc removes it).
 *
 * Making F (xsipc__reg_create_locked):
 *   1. the temp is made with O_EXCL: an inode no one else sees;
 *   2. its record is written: name, kind, the key its inode gives, and the
 *      flag that its claim is its second link.  Before the claim, so that
 *      no one ever finds a claim without the record that names its file;
 *   3. the claim, linkat(temp, .claim-K).  A .claim-K that exists is
 *      judged: another live file's (OTHER) or a stranger's (FOREIGN) keeps
 *      the key taken; a stale one, or an older xsipc's naming F, is removed
 *      and the link made again.  A key that no claim held is given up when
 *      a System V object exists at it (reg->in_use): an object at an
 *      unclaimed key may be a Qt name's (a key file Qt made is used without
 *      a claim in Qt's life cycle: a claim of it would be left behind when
 *      the Qt program removes the file), and must not be shared;
 *   4. a key that stays taken: the temp is parked and a new temp made (back
 *      to 1), so that the file system hands out another inode, until one has
 *      a free key.  In a persistent registry another proj id may be taken
 *      instead (the record written again for it first); Qt programs cannot
 *      reach such a name;
 *   5. renameat2(temp, F, RENAME_NOREPLACE): F appears with its key settled,
 *      claimed and recorded, and a file a Qt program made meanwhile is never
 *      replaced (the temp and the claim then go, and Qt's F is looked up
 *      again).  The rename keeps the inode: a key file costs one inode, its
 *      claim none.
 * Adopting F that Qt made (adopt.c: persistent registry,
 * xsipc__reg_adopt_locked): the claim first, linkat(F, .claim-K), checked to be
 * the inode that was checked (Qt may replace F at any moment), then the record:
 * a record that vouches for a claim must never be written into a file whose
 * claim could fail.  Until it is written the claim names no file, and holds
 * while it has its second link.  Making F again (xsipc__reg_remake_locked, for
 * a create): F is Qt's, empty, one link, and its key is held by another file's
 * claim -- a Qt program of this name shares that name's objects. Checked again
 * under the lock, its inode is renamed to a park of that key (RENAME_NOREPLACE;
 * the park is checked after to be the inode checked, and put back if not, or if
 * F cannot be made), and F is made as above.  The park goes with the other
 * file's claim.  Removing F (remove.c): F is unlinked first, then its claim and
 * the parks of K; a release that cannot take the lock unlinks F alone, leaving
 * a claim of one link, as a Qt program's removal of F does.  Such a claim goes,
 * under the lock, with the next maker of K, gc, or the handle that had K when
 * it looks its name up or lets it go again (the claim is that key's very
 * inode).
 *
 * Who changes what: xsipc makes and removes claims, parks and temps, and
 * makes, removes and (to make one again) parks key files, only under the
 * registry lock (an flock of the directory) -- all but that release, which
 * only unlinks its F.  Qt programs make and remove key files without the
 * lock, at any moment, and never touch the dot files.  A stranger, in a
 * sticky directory, may make dot files of its own, never remove ours.
 * Lookups take no lock.
 *
 * Why no interleaving lets two names share a key or lose a claim:
 *  - Two xsipc key files never hold one key: each holds its key through
 *    its claim, there is one name .claim-K, and linkat makes it or fails.
 *  - A claim is removed only under the lock: with its F, by its own maker
 *    that gives it up (steps 3 and 5), or when stale.  Under the lock no
 *    temp is between its claim and its rename, so a claim whose record
 *    names a file that is not its inode is a leftover, and one with one
 *    link has lost F for good (xsipc renames only temps, once; nothing
 *    links an inode back as F).  So no claim of a live F is ever taken.
 *  - A lookup without the lock may see a claim between steps 3 and 5 and
 *    judge it stale: it acts on that only by using a Qt file as it is, or
 *    by taking the lock (adopt), where it is judged again.
 *  - A record of its own key vouches for the claim: a file with the link
 *    flag was claimed before it got its name (adopted: before the record),
 *    and keeps its claim until it is unlinked; so its two links are itself
 *    and its claim (DESIGN.md section 6), and a lookup reads no claim.
 *  - Qt's files are the limit: a Qt program makes a key file and its
 *    object without the lock.  xsipc keeps a new key off a key with an
 *    object (step 3), refuses a Qt file whose key another file's claim
 *    holds, and for a create moves it aside so that the name gets a key of
 *    its own; a Qt name whose file was looked up before a new claim of its
 *    key, and whose object is made after step 3's check, can still meet
 *    that new file's key -- as it could before xsipc, with no claims at all.
 *    Moving Qt's F is no replacement of a key file under its users: its
 *    key was never its own, and a Qt program that opens F from then on
 *    gets the new one (one that has it open keeps the other name's objects,
 *    as it had them before).
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
 * inode and costs about eight system calls).  In a persistent registry a
 * colliding inode takes another proj id at once: no parked files, and the
 * 65,536 keys of one proj are no limit.
 */
#define TRIES_QT 1024
#define TRIES_OWN 1

/* Claims key for the temp (stat sb) of the new key file file: take_claim,
 * but a new claim of a key that has an object already is given up (see the
 * top of the file). */
static int take_new_key(xsipc_registry *reg, key_t key, const char *temp,
                        const struct stat *sb, const char *file)
{
    char name[32];
    int rc = xsipc__reg_take_claim(reg, key, temp, sb, file);

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
 * does the same with a moment of three links, which a reader then refuses.
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

/* Writes the record of the temp fd for key (of proj), over the one written
 * for an earlier try when again. */
static int temp_record(xsipc_registry *reg, int fd, xsipc__kind kind,
                       const char *name, const xsipc__key *out, key_t key,
                       int proj, int again)
{
    unsigned flags = XSIPC__REC_LINKED;

    if ((reg->flags & XSIPC_REGISTRY_PERSISTENT) != 0)
        flags |= XSIPC__REC_PERSISTENT;
    if (out->keep)
        flags |= XSIPC__REC_KEEP;
    /* Another proj's record may be shorter. */
    if (again && ftruncate(fd, 0) != 0)
        return -1;
    return xsipc__reg_write_record(fd, kind, name, key, proj, flags, 0);
}

/* Settles the key of the temporary file fd's inode (stat sb), its record
 * written first for each key tried: proj 'Q' when its key is free, another
 * proj on the last try in a persistent registry.  Returns the proj, 0 when
 * every key tried is taken (*busy tells whether 'Q' was taken by something
 * no claim of ours holds: an object, or a stranger's claim), or -1 with
 * errno when the record cannot be written. */
static int pick_key(xsipc_registry *reg, xsipc__kind kind, const char *name,
                    const xsipc__key *out, int fd, const char *temp,
                    const struct stat *sb, int last, int *busy)
{
    key_t key = xsipc__reg_ftok(sb, XSIPC__PROJ);
    int rc, i, proj;

    if (temp_record(reg, fd, kind, name, out, key, XSIPC__PROJ, 0) != 0)
        return -1;
    rc = take_new_key(reg, key, temp, sb, out->file);
    *busy = rc == XSIPC__TAKE_BUSY || rc == XSIPC__TAKE_FOREIGN;
    if (rc == XSIPC__TAKE_NEW || rc == XSIPC__TAKE_KEPT)
        return XSIPC__PROJ;
    if (!last || (reg->flags & XSIPC_REGISTRY_PERSISTENT) == 0)
        return 0;
    /* Every other proj id, from 'R' on, never 0 (ftok would give key 0,
     * which is IPC_PRIVATE, for inode 0 of device 0). */
    for (i = 1; i < 255; i++) {
        proj = (XSIPC__PROJ - 1 + i) % 255 + 1;
        key = xsipc__reg_ftok(sb, proj);
        if (temp_record(reg, fd, kind, name, out, key, proj, 1) != 0)
            return -1;
        rc = take_new_key(reg, key, temp, sb, out->file);
        if (rc == XSIPC__TAKE_NEW || rc == XSIPC__TAKE_KEPT)
            return proj;
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

int xsipc__reg_create_error(xsipc_registry *reg, const char *file,
                            xsipc_error code, const char *what, int err,
                            xsipc_status *st)
{
    errno = err;
    return xsipc__reg_file_error(
        reg, file, st, code, "cannot create the key file: %s%s%s", what,
        err != 0 ? ": " : "", err != 0 ? strerror(err) : "");
}

/* The rest of xsipc__reg_create_locked, once the key is settled (fd < 0:
 * no key was found): the temp, recorded and claimed, takes its name. */
static int create_file(xsipc_registry *reg, xsipc__key *out, int fd,
                       const char *temp, const struct stat *sb, int proj,
                       xsipc_status *st)
{
    int persistent = (reg->flags & XSIPC_REGISTRY_PERSISTENT) != 0;
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
    if (publish(reg, temp, out->file) != 0) {
        err = errno;
        /* The temp first: its claim, down to one link, is stale, and goes
         * (with what it had parked). */
        (void)unlinkat(reg->dirfd, temp, 0);
        xsipc__reg_drop_claim(reg, out->key, out->file);
        (void)close(fd);
        if (err == EEXIST)
            return 1; /* a Qt program made the file meanwhile: use theirs */
        return xsipc__reg_create_error(reg, out->file, XSIPC_KEY_ERROR,
                                       "renaming it into place", err, st);
    }
    (void)close(fd);
    out->dev = sb->st_dev;
    out->ino = sb->st_ino;
    out->proj = proj;
    out->persistent = persistent;
    out->created = 1;
    return 0;
}

int xsipc__reg_create_locked(xsipc_registry *reg, xsipc__kind kind,
                             const char *name, xsipc__key *out,
                             xsipc_status *st)
{
    int persistent = (reg->flags & XSIPC_REGISTRY_PERSISTENT) != 0;
    int tries = persistent ? TRIES_OWN : TRIES_QT;
    char temp[64], parked[64], busy_parks[BUSY_PARKS][64];
    const char *what = NULL;
    struct stat sb;
    int t, fd = -1, proj = 0, busy = 0, nbusy = 0, err = 0, rc;

    /* A file made while we waited for the lock (by an xsipc peer, or by
     * Qt) is not looked for first: the rename into place fails on it
     * (create_file), and the caller looks it up then.  One path lookup
     * fewer for every file made, a few calls more when one was made
     * meanwhile. */
    for (t = 0; t < tries && what == NULL; t++) {
        if ((fd = make_temp(reg, temp, sizeof temp)) < 0) {
            err = errno;
            what = "making its temporary file";
            break;
        }
        if (fstat(fd, &sb) != 0) {
            err = errno;
            what = "fstat";
        } else if ((proj = pick_key(reg, kind, name, out, fd, temp, &sb,
                                    t == tries - 1, &busy)) < 0) {
            err = errno;
            what = "writing its record";
        } else if (proj > 0) {
            break;
        } else {
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
            continue;
        }
        (void)unlinkat(reg->dirfd, temp, 0);
        (void)close(fd);
        fd = -1;
    }
    if (what != NULL)
        rc = xsipc__reg_create_error(reg, out->file, XSIPC_KEY_ERROR, what, err,
                                     st);
    else
        rc = create_file(reg, out, fd, temp, &sb, proj, st);
    unpark(reg, busy_parks, nbusy);
    return rc;
}

int xsipc__reg_rename_new(xsipc_registry *reg, const char *from, const char *to)
{
    return renameat2(reg->dirfd, from, reg->dirfd, to, RENAME_NOREPLACE);
}
