/* SPDX-License-Identifier: MIT */
/*
 * claim.c -- making key files: records, key claims, and collisions.
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
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xsipc.h"
#include "common/proc.h"
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

void xsipc__reg_claim_name(key_t key, char *buf, size_t len)
{
    (void)snprintf(buf, len, XSIPC__CLAIM_PREFIX "%08x", (unsigned)key);
}

static void park_name(key_t key, unsigned n, char *buf, size_t len)
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

/* Whether file exists in the directory as a regular file with key. */
static int has_key(const xsipc_registry *reg, const char *file, key_t key)
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
        else if (has_key(reg, t, key))
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
           has_key(reg, file, key);
}

/* take_claim's answers. */
#define CLAIM_NEW 0   /* made now */
#define CLAIM_KEPT 1  /* it named this file already (an earlier incarnation) */
#define CLAIM_TAKEN 2 /* another file holds the key, or cannot be moved */
#define CLAIM_BUSY 3  /* no claim, but an object exists at the key */
#define CLAIM_FOREIGN 4 /* a stranger's claim, or not a link: never ours */

/* Claims key for file, replacing a stale claim.  Under the lock. */
static int take_claim(xsipc_registry *reg, key_t key, const char *file)
{
    char name[32], target[256];
    int i;

    xsipc__reg_claim_name(key, name, sizeof name);
    claim_target(file, target, sizeof target);
    for (i = 0; i < 2; i++) {
        if (symlinkat(target, reg->dirfd, name) == 0)
            return CLAIM_NEW;
        if (errno != EEXIST)
            return CLAIM_TAKEN; /* cannot claim: behave as if taken */
        switch (xsipc__reg_claim_state(reg, key, file, NULL)) {
        case XSIPC__CLAIM_MINE:
            return CLAIM_KEPT;
        case XSIPC__CLAIM_NONE:
        case XSIPC__CLAIM_STALE:
            /* Under the lock no xsipc process makes or moves claims; a
             * stale one (ours: claim_state judges no other) is garbage. */
            if (unlinkat(reg->dirfd, name, 0) != 0 && errno != ENOENT)
                return CLAIM_TAKEN;
            break;
        case XSIPC__CLAIM_FOREIGN:
            /* Planted in a shared directory, even one naming this very
             * file: taking it as ours would let its owner drop it at will
             * and claim the key again for another of our names, which
             * would then share it.  The key is taken, as by a collision;
             * and the claim is not ours to remove, even as root. */
            return CLAIM_FOREIGN;
        default:
            return CLAIM_TAKEN;
        }
    }
    return CLAIM_TAKEN;
}

/* Claims key for a new key file: take_claim, but a new claim of a key that
 * has an object already is given up (see the top of the file).  A kept
 * claim named this file: an object there is this name's own. */
static int take_new_key(xsipc_registry *reg, key_t key, const char *file)
{
    char name[32];
    int rc = take_claim(reg, key, file);

    if (rc != CLAIM_NEW || reg->in_use == NULL || !reg->in_use(key))
        return rc;
    xsipc__reg_claim_name(key, name, sizeof name);
    (void)unlinkat(reg->dirfd, name, 0);
    return CLAIM_BUSY;
}

/* The key a .name- link holds, or 0 (also for a stranger's link, which
 * says nothing about our claims). */
static key_t link_key(const xsipc_registry *reg, const char *file)
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

/* Points file's .name- link at key.  Only where Qt programs remove key
 * files (the Qt life cycle): a persistent registry keeps its files, and
 * gc finds a claim left by one removed by hand. */
static void set_link(xsipc_registry *reg, const char *file, key_t key)
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
            park_name(key, n, name, sizeof name);
            if ((own = own_entry(reg, name, &sb)) == 0)
                break;
            if (own > 0)
                (void)unlinkat(reg->dirfd, name, 0);
        }
    }
    if (link_key(reg, file) == key &&
        xsipc__reg_link_name(file, name, sizeof name) == 0)
        (void)unlinkat(reg->dirfd, name, 0);
    errno = saved;
}

/* ------------------------------------------------------------- making */

/* Writes the record into the open, empty key file fd; with lock, under
 * the file's lock (a reader that sees a part of it waits for the lock, see
 * registry.c).  A file no one can see yet needs none. */
static int write_record(int fd, xsipc__kind kind, const char *name, key_t key,
                        int proj, unsigned flags, int lock)
{
    static xsipc__record rec_zero;
    xsipc__record *rec;
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
    rec->pid = (long)getpid();
    rec->start = xsipc__proc_self_start();
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
        park_name(kq, n, name, 64);
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
    *busy = rc == CLAIM_BUSY || rc == CLAIM_FOREIGN;
    if (rc == CLAIM_NEW || rc == CLAIM_KEPT) {
        *fresh = rc == CLAIM_NEW;
        return XSIPC__PROJ;
    }
    if (!last || (reg->flags & XSIPC_REGISTRY_PERSISTENT) == 0)
        return 0;
    /* Every other proj id, from 'R' on, never 0 (ftok would give key 0,
     * which is IPC_PRIVATE, for inode 0 of device 0). */
    for (i = 1; i < 255; i++) {
        proj = (XSIPC__PROJ - 1 + i) % 255 + 1;
        rc = take_new_key(reg, xsipc__reg_ftok(sb, proj), file);
        if (rc == CLAIM_NEW || rc == CLAIM_KEPT) {
            *fresh = rc == CLAIM_NEW;
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
    if (write_record(fd, kind, name, out->key, proj,
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
        if (fresh && !has_key(reg, out->file, out->key))
            xsipc__reg_drop_claim(reg, out->key, out->file);
        (void)unlinkat(reg->dirfd, temp, 0);
        (void)close(fd);
        return 1;
    }
    (void)close(fd);
    set_link(reg, out->file, out->key);
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
    if (!persistent && (old = link_key(reg, out->file)) != 0)
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
    switch (take_claim(reg, out->key, out->file)) {
    case CLAIM_NEW:
    case CLAIM_KEPT:
        break;
    case CLAIM_FOREIGN:
        /* Planted since the lookup saw no claim. */
        (void)close(fd);
        return xsipc__reg_foreign_claim(reg, out->key, out->file, st);
    default:
        (void)close(fd);
        target[0] = '\0';
        (void)xsipc__reg_claim_state(reg, out->key, out->file, target);
        return xsipc__reg_key_held(reg, out->key, out->file, target, st);
    }
    set_link(reg, out->file, out->key);
    /* Qt made it empty: record the name, once.  Under the registry lock
     * no other xsipc process writes it; write_record takes the file's lock
     * for the readers. */
    if (sb.st_size == 0)
        (void)write_record(
            fd, kind, name, out->key, out->proj,
            XSIPC__REC_PERSISTENT | (out->keep ? XSIPC__REC_KEEP : 0), 1);
    (void)close(fd);
    out->persistent = 1;
    return 0;
}
