/* SPDX-License-Identifier: MIT */
/*
 * claim.c -- claims of keys, and the parks and links beside them: their
 * names, what a claim says about a key file, taking and dropping one.
 *
 * A claim is a symbolic link .claim-KKKKKKKK naming the key file that owns
 * the key 0xKKKKKKKK: symlinkat() fails with EEXIST when the link exists,
 * so making it is an atomic claim, found again in O(1) by its name.  A
 * parked inode (.park-KKKKKKKK-N) keeps a colliding inode out of the file
 * system's hands while the claim holds, and goes with the claim; a .name-
 * link lets the next maker of a key file that a Qt program removed find
 * the claim it left (internal.h lists them).  Why and when they are made
 * is make.c's argument.  In a shared directory any of these names may be a
 * stranger's: only entries owned by us, root or a trusted uid are read,
 * followed or removed here.  Claims change only under the registry lock.
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

void xsipc__reg_claim_name(key_t key, char *buf, size_t len)
{
    (void)snprintf(buf, len, XSIPC__CLAIM_PREFIX "%08x", (unsigned)key);
}

void xsipc__reg_park_name(key_t key, unsigned n, char *buf, size_t len)
{
    (void)snprintf(buf, len, XSIPC__PARK_PREFIX "%08x-%u", (unsigned)key, n);
}

static int is_hex(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int xsipc__reg_link_name(const char *file, char *buf, size_t len)
{
    size_t n = strlen(file);
    char kind;

    if (strncmp(file, XSIPC__SHM_PREFIX, strlen(XSIPC__SHM_PREFIX)) == 0 &&
        n >= strlen(XSIPC__SHM_PREFIX) + XSIPC__HASH_DIGITS)
        kind = 'm';
    else if (strncmp(file, XSIPC__SEM_PREFIX, strlen(XSIPC__SEM_PREFIX)) == 0 &&
             n >= strlen(XSIPC__SEM_PREFIX) + XSIPC__HASH_DIGITS)
        kind = 's';
    else
        return -1;
    if (!is_hex(file + n - XSIPC__HASH_DIGITS, XSIPC__HASH_DIGITS))
        return -1;
    (void)snprintf(buf, len, XSIPC__LINK_PREFIX "%c%s", kind,
                   file + n - XSIPC__HASH_DIGITS);
    return 0;
}

/* ---------------------------------------------------------------- claims */

/* A claim's target must be a plain name in the directory: anything else
 * was not written by xsipc. */
static int plain_name(const char *s)
{
    return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
           strcmp(s, "..") != 0;
}

int xsipc__reg_has_key(const xsipc_registry *reg, const char *file, key_t key)
{
    struct stat sb;

    return fstatat(reg->dirfd, file, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(sb.st_mode) &&
           xsipc__reg_ftok(&sb, (int)(((unsigned)key >> 24) & 0xff)) == key;
}

/*
 * What a claim's link holds for key file file.  ext4 keeps a symbolic
 * link's target inside the inode only when it is under 60 bytes; a longer
 * one takes a data block, allocated at every claim and freed (with the
 * discard mount option, sent to the disk) at every release, which made a
 * claim cost many times an empty file.  A Qt key file name is 55 bytes or
 * more (a prefix of 15 or 18, the name's letters, 40 hex digits), so the
 * link holds it with the prefix cut to one letter: 'm' for a segment's,
 * 's' for a semaphore set's -- under 60 bytes for names of up to 18
 * letters.
 */
static void claim_target(const char *file, char *buf, size_t len)
{
    if (strncmp(file, XSIPC__SHM_PREFIX, strlen(XSIPC__SHM_PREFIX)) == 0)
        (void)snprintf(buf, len, "m%s", file + strlen(XSIPC__SHM_PREFIX));
    else if (strncmp(file, XSIPC__SEM_PREFIX, strlen(XSIPC__SEM_PREFIX)) == 0)
        (void)snprintf(buf, len, "s%s", file + strlen(XSIPC__SEM_PREFIX));
    else
        (void)snprintf(buf, len, "%s", file);
}

/* The key file a claim's link names, from what claim_target made; a whole
 * file name (no 'm' or 's' first) is taken as it is.  -1 when the result
 * would not be a file name. */
static int claim_file(const char *t, char *buf, size_t len)
{
    const char *prefix = t[0] == 'm'   ? XSIPC__SHM_PREFIX
                         : t[0] == 's' ? XSIPC__SEM_PREFIX
                                       : "";
    const char *rest = prefix[0] != '\0' ? t + 1 : t;
    int n = snprintf(buf, len, "%s%s", prefix, rest);

    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * Whether the entry name of the directory is one of ours: 1 when it
 * exists and belongs to us, root or a trusted uid (*sb gets its lstat), 0
 * when there is none, -1 when it is someone else's (or cannot be told).
 * In a directory others may write (sticky, as /tmp) anyone can make a
 * claim, a park or a .name- link before we do, with the name we would
 * give it; such an entry says nothing about our key files.
 */
static int own_entry(const xsipc_registry *reg, const char *name,
                     struct stat *sb)
{
    if (fstatat(reg->dirfd, name, sb, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -1;
    return xsipc__reg_trusted(reg, sb->st_uid) ? 1 : -1;
}

/*
 * Reads the symbolic link name into buf (len bytes, NUL added) when it is
 * ours (own_entry).  Its length, 0 when there is no such entry, or -1 for
 * one that is not a symbolic link or is someone else's.  The owner is
 * read first: the sticky bit lets only an entry's owner (or root, or the
 * directory's owner) remove or rename it, so a stranger cannot swap its
 * own link in after the fstatat; only one of ours could replace it, and
 * under the registry lock, where claims are made, kept and dropped, none
 * does.  (Outside it -- a lookup of a key file no record vouches for, a
 * listing -- one of ours dropped in that instant could give way to a
 * stranger's, read as ours once: a lookup then uses a key file Qt made as
 * it is, without adopting it that time, and gc judges again under the
 * lock before it removes anything.)
 */
static ssize_t read_own_link(const xsipc_registry *reg, const char *name,
                             char *buf, size_t len)
{
    struct stat sb;
    ssize_t n;
    int own = own_entry(reg, name, &sb);

    if (own <= 0)
        return own;
    if (!S_ISLNK(sb.st_mode))
        return -1;
    n = readlinkat(reg->dirfd, name, buf, len - 1);
    if (n < 0)
        /* EINVAL: no longer a symbolic link, so not ours. */
        return errno == ENOENT ? 0 : -1;
    buf[n] = '\0';
    return n;
}

xsipc__claim xsipc__reg_claim_state(const xsipc_registry *reg, key_t key,
                                    const char *file, char *target)
{
    char name[32], link[256], t[256];
    ssize_t n;
    int saved = errno;
    xsipc__claim state;

    xsipc__reg_claim_name(key, name, sizeof name);
    n = read_own_link(reg, name, link, sizeof link);
    if (n <= 0) {
        /* Something that is not a symbolic link has the claim's name, or
         * a stranger's link does: not ours, and not to be trusted either
         * way -- not as naming a file, not as stale. */
        state = n == 0 ? XSIPC__CLAIM_NONE : XSIPC__CLAIM_FOREIGN;
        t[0] = '\0';
    } else {
        /* The prefix put back cannot make a plain name anything else. */
        if (!plain_name(link) || claim_file(link, t, sizeof t) < 0) {
            state = XSIPC__CLAIM_FOREIGN;
            t[0] = '\0';
        } else if (file != NULL && strcmp(t, file) == 0)
            state = XSIPC__CLAIM_MINE;
        else if (xsipc__reg_has_key(reg, t, key))
            state = XSIPC__CLAIM_OTHER;
        else
            state = XSIPC__CLAIM_STALE;
    }
    if (target != NULL)
        memcpy(target, t, strlen(t) + 1);
    errno = saved;
    return state;
}

int xsipc__reg_foreign_claim(const xsipc_registry *reg, key_t key,
                             const char *file, xsipc_status *st)
{
    char name[32];
    struct stat sb;

    xsipc__reg_claim_name(key, name, sizeof name);
    if (fstatat(reg->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(sb.st_mode) && !xsipc__reg_trusted(reg, sb.st_uid)) {
        errno = EPERM;
        return xsipc__reg_file_error(
            reg, file, st, XSIPC_UNTRUSTED,
            "the claim of key 0x%08x is owned by uid %lu, not by us (uid %lu), "
            "root or a trusted uid",
            (unsigned)key, (unsigned long)sb.st_uid, (unsigned long)geteuid());
    }
    errno = EPERM;
    return xsipc__reg_file_error(reg, file, st, XSIPC_UNTRUSTED,
                                 "the claim of key 0x%08x is not a symbolic "
                                 "link made by xsipc",
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
                                     "someone else's claim",
                                     (unsigned)key);
    return xsipc__reg_file_error(reg, file, st, XSIPC_KEY_COLLISION,
                                 "the key file's key 0x%08x is held by key "
                                 "file %s",
                                 (unsigned)key, xsipc__status_name(target, t));
}

int xsipc__reg_claim_valid(const xsipc_registry *reg, key_t key,
                           const char *file)
{
    return xsipc__reg_claim_state(reg, key, file, NULL) == XSIPC__CLAIM_MINE &&
           xsipc__reg_has_key(reg, file, key);
}

int xsipc__reg_take_claim(xsipc_registry *reg, key_t key, const char *file)
{
    char name[32], target[256];
    int i;

    xsipc__reg_claim_name(key, name, sizeof name);
    claim_target(file, target, sizeof target);
    for (i = 0; i < 2; i++) {
        if (symlinkat(target, reg->dirfd, name) == 0)
            return XSIPC__TAKE_NEW;
        if (errno != EEXIST)
            return XSIPC__TAKE_TAKEN; /* cannot claim: behave as if taken */
        switch (xsipc__reg_claim_state(reg, key, file, NULL)) {
        case XSIPC__CLAIM_MINE:
            return XSIPC__TAKE_KEPT;
        case XSIPC__CLAIM_NONE:
        case XSIPC__CLAIM_STALE:
            /* Under the lock no xsipc process makes or moves claims; a
             * stale one (ours: claim_state judges no other) is garbage. */
            if (unlinkat(reg->dirfd, name, 0) != 0 && errno != ENOENT)
                return XSIPC__TAKE_TAKEN;
            break;
        case XSIPC__CLAIM_FOREIGN:
            /* Planted in a shared directory, even one naming this very
             * file: taking it as ours would let its owner drop it at will
             * and claim the key again for another of our names, which
             * would then share it.  The key is taken, as by a collision;
             * and the claim is not ours to remove, even as root. */
            return XSIPC__TAKE_FOREIGN;
        default:
            return XSIPC__TAKE_TAKEN;
        }
    }
    return XSIPC__TAKE_TAKEN;
}

key_t xsipc__reg_link_key(const xsipc_registry *reg, const char *file)
{
    char name[64], t[16];
    unsigned long v;

    if (xsipc__reg_link_name(file, name, sizeof name) < 0)
        return 0;
    if (read_own_link(reg, name, t, sizeof t) != 8)
        return 0;
    if (!is_hex(t, 8))
        return 0;
    v = strtoul(t, NULL, 16);
    return (key_t)(unsigned)v;
}

void xsipc__reg_set_link(xsipc_registry *reg, const char *file, key_t key)
{
    char name[64], t[16];
    struct stat sb;

    if ((reg->flags & XSIPC_REGISTRY_PERSISTENT) != 0 ||
        xsipc__reg_link_name(file, name, sizeof name) < 0)
        return;
    (void)snprintf(t, sizeof t, "%08x", (unsigned)key);
    /* Only a hint for clean-up: a failure costs a stale claim at worst.
     * A stranger's link in its place stays (it is not ours to remove), and
     * is never followed. */
    if (symlinkat(t, reg->dirfd, name) != 0 && errno == EEXIST &&
        own_entry(reg, name, &sb) > 0 && unlinkat(reg->dirfd, name, 0) == 0 &&
        symlinkat(t, reg->dirfd, name) != 0)
        return; /* (a cast to void does not quiet warn_unused_result) */
}

void xsipc__reg_drop_claim(xsipc_registry *reg, key_t key, const char *file)
{
    char name[64];
    struct stat sb;
    unsigned n;
    int saved = errno, own;

    if (xsipc__reg_claim_state(reg, key, file, NULL) == XSIPC__CLAIM_MINE) {
        xsipc__reg_claim_name(key, name, sizeof name);
        (void)unlinkat(reg->dirfd, name, 0);
        /* Parked inodes only kept the key's other candidates away: with
         * the claim gone, none collides any more.  They are made lowest
         * number first, so the first gap ends them; a stranger's file
         * with a park's name is no gap, and stays. */
        for (n = 0; n < XSIPC__PARK_MAX; n++) {
            xsipc__reg_park_name(key, n, name, sizeof name);
            if ((own = own_entry(reg, name, &sb)) == 0)
                break;
            if (own > 0)
                (void)unlinkat(reg->dirfd, name, 0);
        }
    }
    if (xsipc__reg_link_key(reg, file) == key &&
        xsipc__reg_link_name(file, name, sizeof name) == 0)
        (void)unlinkat(reg->dirfd, name, 0);
    errno = saved;
}
