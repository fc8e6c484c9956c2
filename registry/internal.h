/* SPDX-License-Identifier: MIT */
/*
 * internal.h -- the registry's own parts (private to registry/; the tests
 * reach in too): the handle's structure, key file I/O, and the claims,
 * parks and links that keep two names from sharing a key_t.  lib/ never
 * includes it: it sees the registry through registry.h alone.
 *
 * Files in a registry directory besides the key files (all made by xsipc,
 * all starting with a dot so that `ls` and Qt leave them alone):
 *   .claim-KKKKKKKK      a symbolic link to the key file that owns the key
 *                        0xKKKKKKKK.  symlinkat() fails when it exists, so
 *                        making it is an atomic, O(1) claim of the key.
 *   .park-KKKKKKKK-N     an inode whose key (proj 'Q') collided with the
 *                        claimed key 0xKKKKKKKK, kept alive so that the file
 *                        system cannot hand it out again while that claim
 *                        holds; removed with the claim.
 *   .name-XH             (X: m for a segment, s for a semaphore set; H:
 *                        the 40 hex digits of the key file's name) a
 *                        symbolic link to the 8 hex digits of the key the
 *                        key file claimed: when a Qt program removes the
 *                        key file, the next maker of it finds and drops
 *                        the claim left behind.
 *   .new-PID-N           a key file being made (record written, key
 *                        claimed) before it takes its name with
 *                        renameat2(RENAME_NOREPLACE).  Only a crash leaves
 *                        one behind; gc removes it.
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
     * default registry's cache checks on reuse (dir.c). */
    dev_t dir_dev;
    ino_t dir_ino;
    mode_t dir_mode;
    uid_t dir_uid;
    /* The registry lock's own descriptor (dir.c, xsipc__reg_lock): dirfd
     * in the process that opened the registry, one opened once in a
     * forked child (lock_pid says whose it is); lock_busy while a thread
     * holds the lock through it. */
    int lockfd;
    pid_t lock_pid;
    int lock_busy;
    /* Unique to this opening of the registry in the process: what the
     * process's table of looked-up key files is keyed by (resolve.c). */
    unsigned long serial;
};

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

/* The checks of DESIGN.md section 6 on an open key file's stat: a regular
 * file, one link, a trusted owner.  0 or -error with st set. */
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

/* ------------------------------------------------ claims, parks and links */

/* Names of the files beside the key files. */
#define XSIPC__CLAIM_PREFIX ".claim-"
#define XSIPC__PARK_PREFIX ".park-"
#define XSIPC__TEMP_PREFIX ".new-"
#define XSIPC__LINK_PREFIX ".name-"
#define XSIPC__PARK_MAX 16 /* parked inodes per key */
void xsipc__reg_claim_name(key_t key, char *buf, size_t len);
/* The name of key's n-th parked inode. */
void xsipc__reg_park_name(key_t key, unsigned n, char *buf, size_t len);
/* The .name- link of key file file (64 bytes); -1 for a file that is not
 * named as a key file (prefix, 40 hex digits at the end). */
int xsipc__reg_link_name(const char *file, char *buf, size_t len);

/* The state of key's claim for file (NULL: for no file in particular);
 * target (when not NULL, 256 bytes) gets the file it names.  Only a claim
 * of ours (owned by us, root or a trusted uid) is read: a stranger's is
 * FOREIGN whatever it names, never MINE, OTHER or STALE. */
xsipc__claim xsipc__reg_claim_state(const xsipc_registry *reg, key_t key,
                                    const char *file, char *target);

/* Fills st for key's FOREIGN claim, met for key file file: a stranger's
 * link (its uid named) or something else.  -XSIPC_UNTRUSTED. */
int xsipc__reg_foreign_claim(const xsipc_registry *reg, key_t key,
                             const char *file, xsipc_status *st);

/* Fills st for file's key, which the claim of key file target holds
 * (target "": a claim that names no file of ours).  -XSIPC_KEY_COLLISION,
 * errno EEXIST. */
int xsipc__reg_key_held(const xsipc_registry *reg, key_t key, const char *file,
                        const char *target, xsipc_status *st);

/* Non-zero when key's claim names file and file exists with that key:
 * the claim is in force. */
int xsipc__reg_claim_valid(const xsipc_registry *reg, key_t key,
                           const char *file);

/* Whether file exists in the directory as a regular file with key. */
int xsipc__reg_has_key(const xsipc_registry *reg, const char *file, key_t key);

/* xsipc__reg_take_claim's answers: the claim was made now (NEW), named
 * this file already, an earlier incarnation of it (KEPT); another file
 * holds the key, or the claim cannot be moved (TAKEN); no claim, but an
 * object exists at the key (BUSY); a stranger's claim, or not a link:
 * never ours (FOREIGN). */
#define XSIPC__TAKE_NEW 0
#define XSIPC__TAKE_KEPT 1
#define XSIPC__TAKE_TAKEN 2
#define XSIPC__TAKE_BUSY 3
#define XSIPC__TAKE_FOREIGN 4

/* Claims key for file, replacing a stale claim.  Under the lock. */
int xsipc__reg_take_claim(xsipc_registry *reg, key_t key, const char *file);

/* The key a .name- link holds, or 0 (also for a stranger's link, which
 * says nothing about our claims). */
key_t xsipc__reg_link_key(const xsipc_registry *reg, const char *file);
/* Points file's .name- link at key.  Only where Qt programs remove key
 * files (the Qt life cycle): a persistent registry keeps its files, and
 * gc finds a claim left by one removed by hand. */
void xsipc__reg_set_link(xsipc_registry *reg, const char *file, key_t key);

/* Drops key's claim when it names file, with the inodes parked for key and
 * file's .name- link.  Call under the lock. */
void xsipc__reg_drop_claim(xsipc_registry *reg, key_t key, const char *file);

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
 * is empty.  0, 1 when the file is gone (make it), or -xsipc_error.
 */
int xsipc__reg_adopt_locked(xsipc_registry *reg, xsipc__kind kind,
                            const char *name, xsipc__key *out,
                            xsipc_status *st);

#endif /* XSIPC_REGISTRY_INTERNAL_H */
