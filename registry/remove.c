/* SPDX-License-Identifier: MIT */
/*
 * remove.c -- a key file's end: removed with its last user in Qt's life
 * cycle (or by removal and gc in any registry), only while it is still the
 * inode its key came from, and with it its claim and the inodes parked
 * for its key (make.c's argument says why under the registry lock no
 * interleaving removes another name's file or claim).  Files only: no
 * System V IPC call is made here.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

/* Whether k's file is still the inode its key came from; its lstat goes
 * to *sb. */
static int current(const xsipc_registry *reg, const xsipc__key *k,
                   struct stat *sb)
{
    int saved = errno, same;

    /* AT_SYMLINK_NOFOLLOW: a link put in the key file's place is not the
     * key file, whatever it points to. */
    same = fstatat(reg->dirfd, k->file, sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           sb->st_dev == k->dev && sb->st_ino == k->ino;
    errno = saved;
    return same;
}

int xsipc__reg_current(const xsipc_registry *reg, const xsipc__key *k)
{
    struct stat sb;

    return current(reg, k, &sb);
}

int xsipc__reg_remove_locked(xsipc_registry *reg, xsipc__key *k,
                             xsipc_status *st)
{
    struct stat sb;
    int saved = errno;

    /* Only the inode the key came from: a new key file made meanwhile by
     * another process (after a Qt peer removed ours) belongs to its new
     * users.  Under the lock no xsipc process makes one; a Qt program
     * could, in the window between the test and the unlink, as it could
     * in its own detach.  The claim a Qt peer's removal left goes. */
    if (!current(reg, k, &sb)) {
        xsipc__reg_drop_gone_claim(reg, k);
        return 0;
    }
    /* ENOENT: a Qt program removed it first, which is just as good. */
    if (unlinkat(reg->dirfd, k->file, 0) != 0 && errno != ENOENT)
        return xsipc__reg_file_error(reg, k->file, st, XSIPC_PERMISSION_DENIED,
                                     "cannot remove the key file: %s",
                                     strerror(errno));
    xsipc__reg_recall_forget(reg, k->file);
    /* Two links just before, in a file whose key is k's: its lookup found
     * the second to be its claim (claim.c), and nothing but xsipc's own
     * removal under this lock takes a link away without taking the file
     * name first (a Qt program only unlinks the file, which leaves one),
     * so .claim-K is this inode and goes without a look.  Any other count
     * is judged. */
    if (sb.st_nlink == 2 && k->key == xsipc__reg_ftok(&sb, k->proj))
        xsipc__reg_drop_linked_claim(reg, k->key);
    else
        xsipc__reg_drop_claim(reg, k->key, k->file);
    /* Its file and claim gone by our hand, k leads to nothing: no claim
     * of its to look for later (forget_gone), nothing cached. */
    k->dev = 0;
    k->ino = 0;
    k->cached = 0;
    errno = saved;
    return 0;
}

int xsipc__reg_bad_record_locked(xsipc_registry *reg, xsipc__kind kind,
                                 const char *name, xsipc__key *k,
                                 xsipc_status *st)
{
    xsipc__record rec;
    struct stat sb;
    xsipc_status ignored;
    int fd, rc;

    xsipc__reg_key_init(k);
    if (xsipc__reg_file_name(kind, name, k->file, sizeof k->file, st) < 0)
        return -(int)st->code;
    if ((fd = xsipc__reg_open_file(reg, k->file, O_RDONLY, &sb)) < 0)
        return 0; /* gone, or not to be opened: nothing of ours to judge */
    /* Whose it is and how many links it has are judged as for any key
     * file: a stranger's, or one linked elsewhere, stays. */
    if ((rc = xsipc__reg_check_file(reg, k->file, &sb, st)) < 0) {
        (void)close(fd);
        return rc;
    }
    rc = xsipc__reg_read_record(reg, k->file, fd, &sb, &rec, &ignored);
    (void)close(fd);
    if (rc >= 0)
        return 0; /* its record reads: not the file this is for */
    /* The record says nothing to trust, its proj included: the file's
     * key is taken as Qt's ftok(file, 'Q'), which the claim a second link
     * would be is named by (remove_locked drops it when it is). */
    k->dev = sb.st_dev;
    k->ino = sb.st_ino;
    k->proj = XSIPC__PROJ;
    k->key = xsipc__reg_ftok(&sb, k->proj);
    return 1;
}

int xsipc__reg_unregister(xsipc_registry *reg, xsipc__key *k, xsipc_status *st)
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

void xsipc__reg_drop_new_locked(xsipc_registry *reg, xsipc__key *k)
{
    if (k->created && (reg->flags & XSIPC__REG_NATIVE) == 0)
        (void)xsipc__reg_remove_locked(reg, k, NULL);
}

int xsipc__reg_release_locked(xsipc_registry *reg, xsipc__key *k)
{
    if (!xsipc__reg_follows_qt(reg))
        return 0;
    if (xsipc__reg_linger(reg, k))
        return 1; /* kept idle (linger.c) */
    (void)xsipc__reg_remove_locked(reg, k, NULL);
    return 0;
}

int xsipc__reg_release(xsipc_registry *reg, xsipc__key *k)
{
    int saved = errno;

    /* Whether the file is still k's, and whether a claim its removal left
     * is to go, is asked under the lock (xsipc__reg_remove_locked). */
    if (!xsipc__reg_follows_qt(reg))
        return 0;
    if (xsipc__reg_linger(reg, k))
        return 1; /* kept idle (linger.c): no call at all */
    /* Without the lock (it timed out), the file still goes, as Qt would
     * remove it; its claim, down to one link, is then stale, and gc, the
     * next maker of the key or this name's next one (with k) removes it. */
    if (xsipc__reg_unregister(reg, k, NULL) < 0 && xsipc__reg_current(reg, k))
        (void)unlinkat(reg->dirfd, k->file, 0);
    errno = saved;
    return 0;
}
