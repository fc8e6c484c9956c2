/* SPDX-License-Identifier: MIT */
/*
 * internal.h -- the registry's own parts (private to registry/; the tests
 * reach in too): the handle's structure, key file I/O, and the claims and
 * parks that keep two names from sharing a key_t.  lib/ never
 * includes it: it sees the registry through registry.h alone.
 *
 * Files in a registry directory besides the key files (all made by xsipc,
 * all starting with a dot so that `ls` and Qt leave them alone):
 *   .claim-KKKKKKKK      a second hard link of the key file that owns the
 *                        key 0xKKKKKKKK (no inode of its own).  linkat()
 *                        fails when the name exists, so making it is an
 *                        atomic, O(1) claim of the key.  With one link
 *                        left (its key file gone) it is stale by itself.
 *   .park-KKKKKKKK-N     an inode whose key (proj 'Q') collided with the
 *                        claimed key 0xKKKKKKKK, kept alive so that the file
 *                        system cannot hand it out again while that claim
 *                        holds; removed with the claim.
 *   .new-PID-N           a key file being made (record written, key
 *                        claimed) before it takes its name with
 *                        renameat2(RENAME_NOREPLACE): the same inode, so no
 *                        inode of its own either.  Only a crash leaves one
 *                        behind; gc removes it.
 * An older xsipc made its claims symbolic links naming the key file, and
 * .name-XH links (X: m or s; H: the 40 hex digits of the key file's name)
 * naming a key file's claim; claim.c still reads the old claims, and gc
 * removes both when they are of no use.
 * In a directory others may write (sticky, as /tmp), any of these names
 * may be taken first by a stranger: an entry owned by another uid than us,
 * root or a trusted one is never read, followed, adopted or removed (a
 * claim of a stranger's makes its key unusable, as a collision does).
 */
#ifndef XSIPC_REGISTRY_INTERNAL_H
#define XSIPC_REGISTRY_INTERNAL_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "registry/record.h"
#include "registry/registry.h"
#include "xsipc.h"

/* Uids trusted besides ourselves and root, per registry and per process. */
#define XSIPC__TRUST_MAX 16

struct xsipc_registry {
    unsigned refs;    /* handles made from it hold one each */
    unsigned flags;   /* XSIPC_REGISTRY_* and XSIPC__REG_* */
    int dirfd;        /* O_DIRECTORY|O_CLOEXEC: key files are opened at it */
    int shared;       /* others may write the directory (sticky, as /tmp) */
    mode_t obj_mode;  /* System V object mode: 0600, or 0660 with GROUP */
    mode_t file_mode; /* key file mode: 0640, or 0660 with GROUP */
    char *dir;        /* absolute, without a trailing slash */
    xsipc__key_probe_fn in_use; /* the opener's "an object at this key?" */
    unsigned ntrust;            /* uids in trust */
    uid_t trust[XSIPC__TRUST_MAX];
    /* The directory as open_dir() approved it (its fstat): what the
     * default registry's cache checks on reuse (default.c). */
    dev_t dir_dev;
    ino_t dir_ino;
    mode_t dir_mode;
    uid_t dir_uid;
    /* The registry lock's own descriptor (lock.c, xsipc__reg_lock): dirfd
     * in the process that opened the registry, one opened once in a
     * forked child (lock_pid says whose it is); lock_busy while a thread
     * holds the lock through it. */
    int lockfd;
    pid_t lock_pid;
    int lock_busy;
    /* Unique to this opening of the registry in the process: what the
     * process's table of looked-up key files is keyed by (recall.c). */
    unsigned long serial;
};

/* ------------------------------------------------------------- directory */

/* The message for a realpath or open failure (errno err) on the registry
 * directory path itself, its opening (dir.c) or the lock's (lock.c):
 * -xsipc_error with st set, errno err. */
int xsipc__reg_dir_error(const char *path, int err, xsipc_status *st);

/* ---------------------------------------------------------- key file I/O */

/*
 * Opens the key file file for reading (O_RDONLY or O_RDWR in flags;
 * O_CLOEXEC, O_NOFOLLOW and O_NONBLOCK are added) and fstats the
 * descriptor into *sb.  A file with no link left was unlinked between the
 * openat and the fstat: it is gone, and the answer is the one openat gives
 * a moment later, -1 with errno ENOENT.  The descriptor, or -1 with errno.
 */
int xsipc__reg_open_file(const xsipc_registry *reg, const char *file, int flags,
                         struct stat *sb);

/* The checks of DESIGN.md section 6 on an open key file's stat that come
 * before its key is known: a regular file, a trusted owner, one link or
 * two.  A second link must be the file's own claim, which only the key
 * tells: xsipc__reg_file_claim (or xsipc__reg_check_links) decides it, and
 * every caller asks one of them.  0 or -error with st set. */
int xsipc__reg_check_file(const xsipc_registry *reg, const char *file,
                          const struct stat *sb, xsipc_status *st);

/*
 * Reads and parses the record of the open key file fd (stat sb).  1 with
 * *rec filled, 0 when the file is empty (no record), or -XSIPC_KEY_ERROR
 * with st naming the file and the fault (truncated, oversized, garbage).
 */
int xsipc__reg_read_record(const xsipc_registry *reg, const char *file, int fd,
                           const struct stat *sb, xsipc__record *rec,
                           xsipc_status *st);

/* Writes the record of name (kind, key, proj, flags: XSIPC__REC_*, and
 * this process as its writer) into the open, empty key file fd; with lock,
 * under the file's exclusive flock, for the readers (a file no one can see
 * yet needs none).  0, or -1 with errno. */
int xsipc__reg_write_record(int fd, xsipc__kind kind, const char *name,
                            key_t key, int proj, unsigned flags, int lock);

/* ------------------------------------------------------ claims and parks */

/* Names of the files beside the key files. */
#define XSIPC__CLAIM_PREFIX ".claim-"
#define XSIPC__PARK_PREFIX ".park-"
#define XSIPC__TEMP_PREFIX ".new-"
#define XSIPC__OLD_LINK_PREFIX ".name-" /* an older xsipc's (see the top) */
#define XSIPC__PARK_MAX 16              /* parked inodes per key */
void xsipc__reg_claim_name(key_t key, char *buf, size_t len);
/* The name of key's n-th parked inode. */
void xsipc__reg_park_name(key_t key, unsigned n, char *buf, size_t len);
/* The .name- link an older xsipc made for key file file (64 bytes); -1
 * for a file that is not named as a key file (prefix, 40 hex digits at the
 * end). */
int xsipc__reg_old_link_name(const char *file, char *buf, size_t len);

/* The state of key's claim for file (NULL: for no file in particular),
 * whose lstat is fsb (NULL: looked up when needed); target (when not
 * NULL, 256 bytes) gets the file it names ("" when it names none).  Only
 * a claim of ours (owned by us, root or a trusted uid) is read: a
 * stranger's is FOREIGN whatever it is, never MINE, OTHER or STALE.
 * Without the registry lock STALE is a hint (see claim.c). */
xsipc__claim xsipc__reg_claim_state(const xsipc_registry *reg, key_t key,
                                    const char *file, const struct stat *fsb,
                                    char *target);

/*
 * The claim of key (its proj from the record) for the key file file, of
 * fstat sb and record rec (NULL: none), which passed xsipc__reg_check_file:
 * an xsipc__claim (MINE without a look at the claim when the record of
 * this key vouches for it), with target as for xsipc__reg_claim_state; or
 * -XSIPC_UNTRUSTED with st set when the file has a second link that is not
 * its claim.
 */
int xsipc__reg_file_claim(const xsipc_registry *reg, const char *file,
                          const struct stat *sb, const xsipc__record *rec,
                          key_t key, char *target, xsipc_status *st);

/* The file of stat sb, used with key, has one link, or two of which the
 * second is key's claim: 0, or -XSIPC_UNTRUSTED with st set. */
int xsipc__reg_check_links(const xsipc_registry *reg, const char *file,
                           const struct stat *sb, key_t key, xsipc_status *st);

/* Fills st for key's FOREIGN claim, met for key file file: a stranger's
 * entry (its uid named) or something else.  -XSIPC_UNTRUSTED. */
int xsipc__reg_foreign_claim(const xsipc_registry *reg, key_t key,
                             const char *file, xsipc_status *st);

/* Fills st for file's key, which the claim of key file target holds
 * (target "": a claim that names no file).  -XSIPC_KEY_COLLISION, errno
 * EEXIST. */
int xsipc__reg_key_held(const xsipc_registry *reg, key_t key, const char *file,
                        const char *target, xsipc_status *st);

/* Whether file exists in the directory as a regular file with key. */
int xsipc__reg_has_key(const xsipc_registry *reg, const char *file, key_t key);

/* xsipc__reg_take_claim's answers: the claim was made now (NEW), is this
 * inode already (KEPT); another file holds the key, or the claim cannot be
 * made (TAKEN); no claim, but an object exists at the key (BUSY); a
 * stranger's claim, or not one of ours: never ours (FOREIGN); the file to
 * claim is gone (GONE). */
#define XSIPC__TAKE_NEW 0
#define XSIPC__TAKE_KEPT 1
#define XSIPC__TAKE_TAKEN 2
#define XSIPC__TAKE_BUSY 3
#define XSIPC__TAKE_FOREIGN 4
#define XSIPC__TAKE_GONE 5

/* Whether the directory entry name is ours (claim.c): 1 when it exists and
 * belongs to us, root or a trusted uid (*sb gets its lstat), 0 when there
 * is none, -1 when it is someone else's or cannot be told. */
int xsipc__reg_own_entry(const xsipc_registry *reg, const char *name,
                         struct stat *sb);
/* An older xsipc's symbolic-link claim name of key (oldclaim.c): what it
 * says for file (NULL: none in particular), the file it names into t (256
 * bytes); and the removal of file's .name- link when it names key. */
xsipc__claim xsipc__reg_old_claim(const xsipc_registry *reg, key_t key,
                                  const char *name, const char *file, char *t);
void xsipc__reg_drop_old_link(xsipc_registry *reg, const char *file, key_t key);

/* Idle key files (linger.c): whether k's file, whose last user this
 * process is, is kept idle rather than removed (1; 0: remove it). */
int xsipc__reg_linger(xsipc_registry *reg, xsipc__key *k);

/* make.c's message for a key file that cannot be made (what failed, and
 * err's text when err is not 0); and renameat2(RENAME_NOREPLACE) within
 * reg's directory, where the C library may lack the wrapper. */
int xsipc__reg_create_error(xsipc_registry *reg, const char *file,
                            xsipc_error code, const char *what, int err,
                            xsipc_status *st);
int xsipc__reg_rename_new(xsipc_registry *reg, const char *from,
                          const char *to);

/* The process's lookups (recall.c): what a lookup saw of the key file
 * it vouched for, kept in the key; the key kept in the process's table
 * under reg, kind and name; reg's entries of key file file marked gone. */
void xsipc__reg_remember(xsipc__key *k, const struct stat *sb);
void xsipc__reg_recall_store(const xsipc_registry *reg, xsipc__kind kind,
                             const char *name, const xsipc__key *k);
void xsipc__reg_recall_forget(const xsipc_registry *reg, const char *file);
/* reg's entries of k's file take k (a key vouched for since). */
void xsipc__reg_recall_refresh(const xsipc_registry *reg, const xsipc__key *k);

/* Under the lock: claims key for the inode of directory entry src (stat
 * sb), which is, or will be renamed to, key file file: a hard link
 * .claim-KKKKKKKK of src, replacing a stale claim or an older xsipc's. */
int xsipc__reg_take_claim(xsipc_registry *reg, key_t key, const char *src,
                          const struct stat *sb, const char *file);

/* Under the lock: drops key's claim when it is file's or stale, with the
 * inodes parked for key (and, for an older xsipc's claim, file's .name-
 * link). */
void xsipc__reg_drop_claim(xsipc_registry *reg, key_t key, const char *file);

/* Under the lock, just after the key file of key was unlinked while it
 * had two links, the second its claim (see remove.c): drops
 * the claim without judging it, and the parks of key. */
void xsipc__reg_drop_linked_claim(xsipc_registry *reg, key_t key);

/* Whether the claim of k's key is k's own inode with one link left: its
 * key file is gone (a Qt program removed it), and nothing but k -- held by
 * whoever resolved it -- leads to the claim without a scan. */
int xsipc__reg_claim_gone(const xsipc_registry *reg, const xsipc__key *k);
/* Under the lock: drops that claim when xsipc__reg_claim_gone says so. */
void xsipc__reg_drop_gone_claim(xsipc_registry *reg, const xsipc__key *k);

/*
 * Under the lock: makes the key file out->file for name (see make.c).
 * 0 with *out filled, 1 when the file appeared meanwhile (look it up
 * again), or -xsipc_error with st set.
 */
int xsipc__reg_create_locked(xsipc_registry *reg, xsipc__kind kind,
                             const char *name, xsipc__key *out,
                             xsipc_status *st);

/*
 * Under the lock, in a persistent registry: claims the existing key file
 * out->file, which has no claim (Qt made it), and writes its record when it
 * is empty.  0, 1 when the file is gone or replaced (look it up again), or
 * -xsipc_error.
 */
int xsipc__reg_adopt_locked(xsipc_registry *reg, xsipc__kind kind,
                            const char *name, xsipc__key *out,
                            xsipc_status *st);

/*
 * Under the lock, for a create: out->file is an empty key file Qt made
 * whose key another key file's claim holds (a Qt program of this name
 * would share that name's objects).  Its inode is parked, as a colliding
 * inode of our own is, and the file made again (xsipc__reg_create_locked),
 * so that each name has a key of its own.  0 with *out filled, 1 when the
 * file changed meanwhile (look it up again), or -xsipc_error (the
 * collision itself when the file is not Qt's empty one).
 */
int xsipc__reg_remake_locked(xsipc_registry *reg, xsipc__kind kind,
                             const char *name, xsipc__key *out,
                             xsipc_status *st);

#endif /* XSIPC_REGISTRY_INTERNAL_H */
