/* SPDX-License-Identifier: MIT */
/*
 * claim.c -- claims of keys, and the parks beside them: their names, what
 * a claim says about a key file, taking and dropping one.
 *
 * A claim .claim-KKKKKKKK is a second hard link of the inode of the key
 * file that owns the key 0xKKKKKKKK.  linkat() fails with EEXIST when the
 * name exists, so making it is an atomic claim, found again in O(1) by its
 * name, and it costs no inode: the claim *is* the key file's inode.  What
 * a claim is worth is read off it alone (why it is made when it is, and
 * who may change what, is make.c's argument):
 *
 *   MINE     it is the inode of the key file asked about.
 *   OTHER    it is another inode, whose key is 0xKKKKKKKK, with two links
 *            or more, and its record (written before the claim was made)
 *            names a key file that exists and is that inode.  A claim
 *            whose record names no file -- a name too long to record, or a
 *            Qt-made file being adopted, whose record comes just after its
 *            claim -- holds for as long as it has a second link.
 *   STALE    one link left: its key file is gone (a Qt program removed it,
 *            or a release that could not take the lock).  Or an inode with
 *            another key (a copy of the registry, links kept, on new inode
 *            numbers), or a record naming a file that is gone or another
 *            inode (a crash between the claim and the rename into place).
 *            Removed under the lock by the next maker of its key, by the
 *            handle that had its key (xsipc__reg_drop_gone_claim: the claim
 *            is that key's very inode), or by gc.
 *   FOREIGN  owned by a stranger, or neither a regular file nor a symbolic
 *            link: never taken as ours, never removed.
 *   NONE     no claim.
 *
 * A hard link belongs to its inode's owner, whoever made the name: a
 * stranger who may link our key file (fs.protected_hardlinks lets only an
 * owner, or one who may read and write it, do so) can only make the very
 * claim we would make, or one of another key, which is STALE; and in a
 * sticky directory cannot remove it, owning neither it nor the directory.
 *
 * An older xsipc made claims symbolic links (oldclaim.c) naming the key
 * file ('m' or 's' and the name after Qt's prefix) and, in Qt's life
 * cycle, a .name- link per key file naming its claim.  Those claims are
 * still read (MINE
 * when they name the file asked about, OTHER when the file they name holds
 * the key, else STALE) and give way to a hard link when their key is
 * claimed again; a .name- link goes with the old claim it served (or with
 * gc), and nothing reads one any more.
 *
 * A parked inode (.park-KKKKKKKK-N) keeps a colliding inode out of the
 * file system's hands while the claim of 0xKKKKKKKK holds, and goes with
 * it.  In a shared directory any of these names may be a stranger's: only
 * entries owned by us, root or a trusted uid are read or removed here.
 * Claims change only under the registry lock.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsipc.h"
#include "registry/internal.h"

void xsipc__reg_claim_name(key_t key, char *buf, size_t len)
{
    (void)snprintf(buf, len, XSIPC__CLAIM_PREFIX "%08x", (unsigned)key);
}

void xsipc__reg_park_name(key_t key, unsigned n, char *buf, size_t len)
{
    (void)snprintf(buf, len, XSIPC__PARK_PREFIX "%08x-%u", (unsigned)key, n);
}

/* ---------------------------------------------------------------- claims */

/* The proj id of key: its top byte. */
static int proj_of(key_t key)
{
    return (int)(((unsigned)key >> 24) & 0xff);
}

static int same_inode(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int xsipc__reg_has_key(const xsipc_registry *reg, const char *file, key_t key)
{
    struct stat sb;

    return fstatat(reg->dirfd, file, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(sb.st_mode) && xsipc__reg_ftok(&sb, proj_of(key)) == key;
}

/*
 * Whether the entry name of the directory is one of ours: 1 when it
 * exists and belongs to us, root or a trusted uid (*sb gets its lstat), 0
 * when there is none, -1 when it is someone else's (or cannot be told).
 * In a directory others may write (sticky, as /tmp) anyone can make a
 * claim or a park before we do, with the name we would give it; such an
 * entry says nothing about our key files.
 */
int xsipc__reg_own_entry(const xsipc_registry *reg, const char *name,
                         struct stat *sb)
{
    if (fstatat(reg->dirfd, name, sb, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -1;
    return xsipc__reg_trusted(reg, sb->st_uid) ? 1 : -1;
}

/*
 * The key file that the record of the hard-link claim name (lstat csb)
 * names, into t (256 bytes): 1, or 0 when it names none -- no record
 * (being adopted), a name too long to record, a record that cannot be
 * read.  The claim is opened as a key file is (O_NOFOLLOW, O_NONBLOCK),
 * and the descriptor must be the inode that was judged.  Only a claim of
 * another inode than the one asked about comes here: a collision, a crash's
 * leftover, a listing.
 */
static int recorded_file(const xsipc_registry *reg, const char *name,
                         const struct stat *csb, char *t)
{
    xsipc__record *rec = NULL;
    xsipc_status st;
    struct stat sb;
    int fd, named = 0;

    fd = openat(reg->dirfd, name,
                O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    if (fstat(fd, &sb) == 0 && same_inode(&sb, csb) &&
        (rec = malloc(sizeof *rec)) != NULL &&
        xsipc__reg_read_record(reg, name, fd, &sb, rec, &st) == 1 &&
        rec->name_len > 0 &&
        (rec->kind == XSIPC__KIND_SHM || rec->kind == XSIPC__KIND_SEM))
        named = xsipc__reg_file_name((xsipc__kind)rec->kind, rec->name, t, 256,
                                     &st) == 0;
    free(rec);
    (void)close(fd);
    return named;
}

/*
 * What key's claim says about key file file (NULL: no file in particular),
 * whose lstat is fsb (NULL: looked up when needed); t (256 bytes) gets the
 * file the claim names, *old whether it is an older xsipc's symbolic link.
 * See the top of the file for the states.  Without the registry lock a
 * claim whose file is not there yet may be one being made (make.c): its
 * STALE is a hint, acted on only under the lock.
 */
static xsipc__claim judge(const xsipc_registry *reg, key_t key,
                          const char *file, const struct stat *fsb, char *t,
                          int *old)
{
    char name[32];
    struct stat csb, sb;
    int own;

    *old = 0;
    t[0] = '\0';
    xsipc__reg_claim_name(key, name, sizeof name);
    if ((own = xsipc__reg_own_entry(reg, name, &csb)) <= 0)
        return own == 0 ? XSIPC__CLAIM_NONE : XSIPC__CLAIM_FOREIGN;
    if (S_ISLNK(csb.st_mode)) {
        *old = 1;
        return xsipc__reg_old_claim(reg, key, name, file, t);
    }
    if (!S_ISREG(csb.st_mode))
        return XSIPC__CLAIM_FOREIGN;
    if (xsipc__reg_ftok(&csb, proj_of(key)) != key || csb.st_nlink < 2)
        return XSIPC__CLAIM_STALE;
    if (fsb == NULL && file != NULL &&
        fstatat(reg->dirfd, file, &sb, AT_SYMLINK_NOFOLLOW) == 0)
        fsb = &sb;
    if (fsb != NULL && same_inode(fsb, &csb)) {
        (void)snprintf(t, 256, "%s", file != NULL ? file : "");
        return XSIPC__CLAIM_MINE;
    }
    if (!recorded_file(reg, name, &csb, t))
        return XSIPC__CLAIM_OTHER;
    /* The file it names, as it is now: the very inode, or the claim is a
     * leftover (of an earlier incarnation of file, too). */
    if (fstatat(reg->dirfd, t, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(sb.st_mode) && same_inode(&sb, &csb))
        return XSIPC__CLAIM_OTHER;
    return XSIPC__CLAIM_STALE;
}

xsipc__claim xsipc__reg_claim_state(const xsipc_registry *reg, key_t key,
                                    const char *file, const struct stat *fsb,
                                    char *target)
{
    char t[256];
    int saved = errno, old;
    xsipc__claim state = judge(reg, key, file, fsb, t, &old);

    if (target != NULL)
        memcpy(target, t, strlen(t) + 1);
    errno = saved;
    return state;
}

/* A key file with two links whose second is not its claim: see
 * keyfile.c's check of the links. */
static int second_link(const xsipc_registry *reg, const char *file,
                       xsipc_status *st)
{
    errno = EMLINK;
    return xsipc__reg_file_error(reg, file, st, XSIPC_UNTRUSTED,
                                 "the key file has 2 hard links, and the "
                                 "second is not its claim");
}

int xsipc__reg_check_links(const xsipc_registry *reg, const char *file,
                           const struct stat *sb, key_t key, xsipc_status *st)
{
    char name[32];
    struct stat csb;
    int saved = errno;

    if (sb->st_nlink < 2)
        return 0;
    xsipc__reg_claim_name(key, name, sizeof name);
    if (sb->st_nlink == 2 &&
        fstatat(reg->dirfd, name, &csb, AT_SYMLINK_NOFOLLOW) == 0 &&
        same_inode(&csb, sb)) {
        errno = saved;
        return 0;
    }
    return second_link(reg, file, st);
}

int xsipc__reg_file_claim(const xsipc_registry *reg, const char *file,
                          const struct stat *sb, const xsipc__record *rec,
                          key_t key, char *target, xsipc_status *st)
{
    char t[256];
    struct stat now;
    int saved = errno, old;
    xsipc__claim state;

    if (target != NULL)
        target[0] = '\0';
    /* A record of this very key is written only where xsipc claims the
     * key, and the claim goes only after the file (make.c): it vouches for
     * the claim without a look at it -- a hard link when the record says
     * so (then the file's two links are itself and its claim), else an
     * older xsipc's symbolic link (then the file has one).  A key file
     * copied elsewhere has a new inode, so another key, and is judged. */
    if (rec != NULL && rec->key == (uint32_t)key &&
        sb->st_nlink == ((rec->flags & XSIPC__REC_LINKED) != 0 ? 2u : 1u))
        return XSIPC__CLAIM_MINE;
    state = judge(reg, key, file, sb, t, &old);
    errno = saved;
    /* Two links, and the claim is not the second: refused -- unless the
     * file lost one meanwhile (its remover unlinks it, then its claim). */
    if (sb->st_nlink > 1 && (state != XSIPC__CLAIM_MINE || old) &&
        fstatat(reg->dirfd, file, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        same_inode(&now, sb) && now.st_nlink > 1) {
        errno = saved;
        return second_link(reg, file, st);
    }
    errno = saved;
    if (target != NULL)
        memcpy(target, t, strlen(t) + 1);
    return (int)state;
}

int xsipc__reg_foreign_claim(const xsipc_registry *reg, key_t key,
                             const char *file, xsipc_status *st)
{
    char name[32];
    struct stat sb;

    xsipc__reg_claim_name(key, name, sizeof name);
    if (fstatat(reg->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
        !xsipc__reg_trusted(reg, sb.st_uid)) {
        errno = EPERM;
        return xsipc__reg_file_error(
            reg, file, st, XSIPC_UNTRUSTED,
            "the claim of key 0x%08x is owned by uid %lu, not by us (uid %lu), "
            "root or a trusted uid",
            (unsigned)key, (unsigned long)sb.st_uid, (unsigned long)geteuid());
    }
    errno = EPERM;
    return xsipc__reg_file_error(reg, file, st, XSIPC_UNTRUSTED,
                                 "the claim of key 0x%08x is not a claim "
                                 "made by xsipc (a hard link of its key file)",
                                 (unsigned)key);
}

int xsipc__reg_key_held(const xsipc_registry *reg, key_t key, const char *file,
                        const char *target, xsipc_status *st)
{
    char t[XSIPC__NAME_BUF];

    errno = EEXIST;
    if (target[0] == '\0')
        return xsipc__reg_file_error(reg, file, st, XSIPC_KEY_COLLISION,
                                     "the key file's key 0x%08x is held by "
                                     "another key file's claim",
                                     (unsigned)key);
    return xsipc__reg_file_error(reg, file, st, XSIPC_KEY_COLLISION,
                                 "the key file's key 0x%08x is held by key "
                                 "file %s",
                                 (unsigned)key, xsipc__status_name(target, t));
}

int xsipc__reg_take_claim(xsipc_registry *reg, key_t key, const char *src,
                          const struct stat *sb, const char *file)
{
    char name[32], t[256];
    xsipc__claim state;
    int i, old;

    xsipc__reg_claim_name(key, name, sizeof name);
    for (i = 0; i < 2; i++) {
        /* Flags 0: src itself, were it a link (it is a file we opened). */
        if (linkat(reg->dirfd, src, reg->dirfd, name, 0) == 0)
            return XSIPC__TAKE_NEW;
        if (errno == ENOENT)
            return XSIPC__TAKE_GONE; /* src went: a Qt program removed it */
        if (errno != EEXIST)
            return XSIPC__TAKE_TAKEN; /* cannot claim: behave as if taken */
        state = judge(reg, key, file, sb, t, &old);
        if (state == XSIPC__CLAIM_MINE && !old)
            return XSIPC__TAKE_KEPT;
        if (state == XSIPC__CLAIM_FOREIGN)
            /* Planted in a shared directory, even one naming this very
             * file: taking it as ours would let its owner drop it at will
             * and claim the key again for another of our names, which
             * would then share it.  The key is taken, as by a collision;
             * and the claim is not ours to remove, even as root. */
            return XSIPC__TAKE_FOREIGN;
        if (state == XSIPC__CLAIM_OTHER)
            return XSIPC__TAKE_TAKEN;
        /* NONE (gone meanwhile), STALE, or an older xsipc's link naming
         * this file: under the lock no xsipc process makes or moves
         * claims, so it is garbage, or gives way to the hard link. */
        if (unlinkat(reg->dirfd, name, 0) != 0 && errno != ENOENT)
            return XSIPC__TAKE_TAKEN;
        if (old)
            xsipc__reg_drop_old_link(reg, t[0] != '\0' ? t : file, key);
    }
    return XSIPC__TAKE_TAKEN;
}

/* Removes key's claim, and the parks that only it needed. */
static void unlink_claim(xsipc_registry *reg, key_t key)
{
    char name[64];
    struct stat sb;
    unsigned n;
    int own;

    xsipc__reg_claim_name(key, name, sizeof name);
    (void)unlinkat(reg->dirfd, name, 0);
    /* Parked inodes only kept the key's other candidates away: with the
     * claim gone, none collides any more.  They are made lowest number
     * first, so the first gap ends them; a stranger's file with a park's
     * name is no gap, and stays. */
    for (n = 0; n < XSIPC__PARK_MAX; n++) {
        xsipc__reg_park_name(key, n, name, sizeof name);
        if ((own = xsipc__reg_own_entry(reg, name, &sb)) == 0)
            break;
        if (own > 0)
            (void)unlinkat(reg->dirfd, name, 0);
    }
}

void xsipc__reg_drop_claim(xsipc_registry *reg, key_t key, const char *file)
{
    char t[256];
    int saved = errno, old;
    xsipc__claim state = judge(reg, key, file, NULL, t, &old);

    if (state == XSIPC__CLAIM_MINE || state == XSIPC__CLAIM_STALE) {
        unlink_claim(reg, key);
        if (old)
            xsipc__reg_drop_old_link(reg, t[0] != '\0' ? t : file, key);
    }
    errno = saved;
}

void xsipc__reg_drop_linked_claim(xsipc_registry *reg, key_t key)
{
    int saved = errno;

    unlink_claim(reg, key);
    errno = saved;
}

int xsipc__reg_claim_gone(const xsipc_registry *reg, const xsipc__key *k)
{
    char name[32];
    struct stat sb;
    int saved = errno, gone;

    if (k->ino == 0 || (reg->flags & XSIPC__REG_NATIVE) != 0)
        return 0;
    xsipc__reg_claim_name(k->key, name, sizeof name);
    gone = fstatat(reg->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(sb.st_mode) && sb.st_nlink == 1 && sb.st_dev == k->dev &&
           sb.st_ino == k->ino;
    errno = saved;
    return gone;
}

void xsipc__reg_drop_gone_claim(xsipc_registry *reg, const xsipc__key *k)
{
    /* Its own inode, its last link: whatever removed the key file, the
     * claim is k's, and stale (the parks of its key go with it). */
    if (xsipc__reg_claim_gone(reg, k))
        xsipc__reg_drop_claim(reg, k->key, k->file);
}
