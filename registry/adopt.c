/* SPDX-License-Identifier: MIT */
/*
 * adopt.c -- the key files xsipc did not make: a key file Qt made, claimed
 * for its name in a persistent registry (xsipc__reg_adopt_locked), and a
 * Qt-made file whose key another name's claim holds, moved aside to a
 * park and made again for a create (xsipc__reg_remake_locked).  Both run
 * under the registry lock; the states, the order of the steps and why no
 * interleaving with a Qt program or another xsipc process lets two names
 * share a key are make.c's argument.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

int xsipc__reg_adopt_locked(xsipc_registry *reg, xsipc__kind kind,
                            const char *name, xsipc__key *out, xsipc_status *st)
{
    char target[256], claim[32];
    struct stat sb, csb;
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
    /* The lookup's checks, again on the descriptor that is used: a second
     * link may only be its claim already. */
    if ((rc = xsipc__reg_check_file(reg, out->file, &sb, st)) < 0 ||
        (rc = xsipc__reg_check_links(reg, out->file, &sb, out->key, st)) < 0) {
        (void)close(fd);
        return rc;
    }
    rc = xsipc__reg_take_claim(reg, out->key, out->file, &sb, out->file);
    xsipc__reg_claim_name(out->key, claim, sizeof claim);
    /* linkat links what has the name now: a Qt program may have put
     * another file there since the checks. */
    if (rc == XSIPC__TAKE_NEW &&
        (fstatat(reg->dirfd, claim, &csb, AT_SYMLINK_NOFOLLOW) != 0 ||
         csb.st_dev != sb.st_dev || csb.st_ino != sb.st_ino)) {
        (void)unlinkat(reg->dirfd, claim, 0);
        rc = XSIPC__TAKE_GONE;
    }
    switch (rc) {
    case XSIPC__TAKE_NEW:
    case XSIPC__TAKE_KEPT:
        break;
    case XSIPC__TAKE_GONE:
        (void)close(fd);
        return 1;
    case XSIPC__TAKE_FOREIGN:
        /* Planted since the lookup saw no claim. */
        (void)close(fd);
        return xsipc__reg_foreign_claim(reg, out->key, out->file, st);
    default:
        (void)close(fd);
        (void)xsipc__reg_claim_state(reg, out->key, out->file, &sb, target);
        return xsipc__reg_key_held(reg, out->key, out->file, target, st);
    }
    /* Qt made it empty: record the name, once, now that the claim is
     * there.  Under the registry lock no other xsipc process writes it;
     * write_record takes the file's lock for the readers. */
    if (sb.st_size == 0)
        (void)xsipc__reg_write_record(fd, kind, name, out->key, out->proj,
                                      XSIPC__REC_PERSISTENT |
                                          XSIPC__REC_LINKED |
                                          (out->keep ? XSIPC__REC_KEEP : 0),
                                      1);
    (void)close(fd);
    out->persistent = 1;
    return 0;
}

int xsipc__reg_remake_locked(xsipc_registry *reg, xsipc__kind kind,
                             const char *name, xsipc__key *out,
                             xsipc_status *st)
{
    char target[256], parked[64];
    struct stat sb, now;
    unsigned n;
    int fd, c, rc;

    /* Looked up again under the lock, on a descriptor: the file may be
     * gone, replaced, or claimed since (then the lookup tells). */
    fd = xsipc__reg_open_file(reg, out->file, O_RDONLY, &sb);
    if (fd < 0)
        return errno == ENOENT
                   ? 1
                   : xsipc__reg_create_error(reg, out->file, XSIPC_KEY_ERROR,
                                             "opening it", errno, st);
    (void)close(fd);
    if (sb.st_dev != out->dev || sb.st_ino != out->ino)
        return 1;
    if ((rc = xsipc__reg_check_file(reg, out->file, &sb, st)) < 0)
        return rc;
    c = xsipc__reg_file_claim(reg, out->file, &sb, NULL, out->key, target, st);
    if (c < 0)
        return c;
    if (c == XSIPC__CLAIM_FOREIGN)
        return xsipc__reg_foreign_claim(reg, out->key, out->file, st);
    if (c != XSIPC__CLAIM_OTHER)
        return 1;
    /* Only Qt's own file, empty with its one link, is moved: a record is
     * xsipc's word about the file (a copy of one, say), not ours to
     * overrule. */
    if (sb.st_size != 0 || sb.st_nlink != 1)
        return xsipc__reg_key_held(reg, out->key, out->file, target, st);
    /* Parked as a colliding inode of ours is (its key is the other
     * file's, so it goes with that file's claim), which keeps the file
     * system from handing the inode out again.  A Qt program of this
     * name that opens the file from now on finds the new one. */
    for (n = 0; n < XSIPC__PARK_MAX; n++) {
        xsipc__reg_park_name(out->key, n, parked, sizeof parked);
        if (xsipc__reg_rename_new(reg, out->file, parked) == 0)
            break;
        if (errno == ENOENT)
            return 1; /* a Qt program removed it: look again */
        if (errno != EEXIST)
            n = XSIPC__PARK_MAX;
    }
    if (n == XSIPC__PARK_MAX)
        return xsipc__reg_key_held(reg, out->key, out->file, target, st);
    /* The rename took what had the name then: a Qt program may have put
     * another file there since the checks.  That one goes back. */
    if (fstatat(reg->dirfd, parked, &now, AT_SYMLINK_NOFOLLOW) != 0 ||
        now.st_dev != sb.st_dev || now.st_ino != sb.st_ino) {
        (void)xsipc__reg_rename_new(reg, parked, out->file);
        return 1;
    }
    rc = xsipc__reg_create_locked(reg, kind, name, out, st);
    /* Not made: Qt's file is put back as it was (unless one took its name
     * meanwhile: then it stays parked, and goes with the claim). */
    if (rc < 0)
        (void)xsipc__reg_rename_new(reg, parked, out->file);
    return rc;
}
