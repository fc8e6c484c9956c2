/* SPDX-License-Identifier: MIT */
/*
 * registry.h -- names to key files to key_t (private).
 *
 * A registry is a directory.  A name of a kind maps to a key file in it,
 * named as Qt names it (DESIGN.md section 3), and the key file's inode
 * gives the key_t, exactly as ftok(path, proj) would.  The registry works
 * on files only: it makes no System V IPC call.  It includes the public
 * header (for xsipc_error, xsipc_status and xsipc_kind) and common/ (the
 * messages, Qt's names) and nothing of lib/ or lib/sysv/.
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
 * Claims and key files made by xsipc change only under the registry lock,
 * a flock() of the directory.  Looking up a name that has a key file takes
 * no lock and writes nothing.
 */
#ifndef XSIPC_REGISTRY_H
#define XSIPC_REGISTRY_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/qtnames.h"
#include "common/status.h"
#include "registry/record.h"
#include "xsipc.h"

/* The private spelling of the public kinds (older code uses it). */
typedef xsipc_kind xsipc__kind;
#define XSIPC__KIND_SHM XSIPC_KIND_SHM /* a segment: qipc_sharedmemory_ */
#define XSIPC__KIND_SEM XSIPC_KIND_SEM /* a semaphore set: qipc_systemsem_ */

/* Registry flags: the public ones, and those beyond them. */
#define XSIPC__REG_PUBLIC_FLAGS                                                \
    (XSIPC_REGISTRY_PERSISTENT | XSIPC_REGISTRY_GROUP)
#define XSIPC__REG_NATIVE 0x100u /* names are file names (native keys) */

/*
 * Whether a System V object (a segment or a semaphore set) exists at key.
 * The registry makes no IPC call itself: its opener passes this question
 * in (lib/ passes a probe of the kernel), and the registry asks it before
 * a new key file takes a key that no claim held -- an object there
 * belongs to another name (a key file Qt made, which xsipc does not claim
 * in Qt's life cycle, or a crash's leftover), so the key is avoided like a
 * claimed one.  It must keep errno.
 */
typedef int (*xsipc__key_probe_fn)(key_t key);

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
};

/* A name resolved to its key file and key_t. */
typedef struct xsipc__key {
    key_t key;
    dev_t dev;      /* identity of the key file, to tell whether the file */
    ino_t ino;      /* at the path is still the one the key came from */
    int created;    /* this resolution created the key file */
    int proj;       /* the key's proj id: 'Q' unless a persistent registry
                       had to take another one (recorded in the file) */
    int persistent; /* the record marks the name persistent */
    int keep;       /* the record marks the segment as outliving its users
                       (xsipc_shm_set_persistent); for a new key file, the
                       caller's wish (xsipc__reg_resolve_keep) */
    char file[256]; /* file name inside the registry directory */
} xsipc__key;

/* SHA-1 (FIPS 180-4) of len bytes; out gets 20 bytes. */
void xsipc__sha1(const void *data, size_t len, unsigned char out[20]);

/*
 * The Qt default directory: realpath of $TMPDIR when set and resolvable,
 * else "/tmp".  Returns 0, or -XSIPC_KEY_ERROR when it does not fit.
 */
int xsipc__reg_default_dir(char *buf, size_t len);

/*
 * The key file name of name for kind: prefix, the ASCII letters of name,
 * 40 lowercase hex digits of SHA-1 over its bytes.  -XSIPC_KEY_ERROR with
 * st filled for an empty name or one whose file name would pass NAME_MAX.
 */
int xsipc__reg_file_name(xsipc__kind kind, const char *name, char *buf,
                         size_t len, xsipc_status *st);

/* Opens a registry on path (NULL: the default directory), one reference.
 * in_use answers whether an object exists at a key; NULL takes every key
 * for free of objects (enough for a native registry, which claims none). */
xsipc_registry *xsipc__reg_open(const char *dir, unsigned flags,
                                xsipc__key_probe_fn in_use, xsipc_status *st);
/* Adds a reference; returns reg. */
xsipc_registry *xsipc__reg_ref(xsipc_registry *reg);

/* Non-zero when objects and key files of uid may be used through reg: our
 * effective uid, root, or a uid trusted for reg or for the process. */
int xsipc__reg_trusted(const xsipc_registry *reg, uid_t uid);

/*
 * Resolves name of kind to its key file and key_t.  With create, a missing
 * key file is made: its record written and its key claimed before it gets
 * its name, with a new inode while the key collides (see claim.c).
 * Without, a missing file is -XSIPC_NOT_FOUND.  A key file that exists is
 * only read (and, in a persistent registry, claimed once when Qt made it).
 * In a NATIVE registry name is the key file's own name and neither records
 * nor claims are used.  *out needs no initialisation.  Returns 0 or
 * -xsipc_error with st set.
 */
int xsipc__reg_resolve(xsipc_registry *reg, xsipc__kind kind, const char *name,
                       int create, xsipc__key *out, xsipc_status *st);

/* xsipc__reg_resolve, and a key file made by this call gets a record that
 * marks its segment as outliving its users when keep is non-zero. */
int xsipc__reg_resolve_keep(xsipc_registry *reg, xsipc__kind kind,
                            const char *name, int create, int keep,
                            xsipc__key *out, xsipc_status *st);

/* Non-zero when the key file at k->file is still the inode k came from. */
int xsipc__reg_current(const xsipc_registry *reg, const xsipc__key *k);

/*
 * Removes k's key file and its claim when it is still k's inode, as Qt
 * removes its key files with the last user; a persistent registry keeps
 * them.
 */
void xsipc__reg_release(xsipc_registry *reg, const xsipc__key *k);

/* Non-zero when reg's key files follow Qt's life cycle (they go with their
 * objects): not persistent, not native. */
int xsipc__reg_follows_qt(const xsipc_registry *reg);
/* xsipc__reg_unregister for a caller that holds the registry lock. */
int xsipc__reg_remove_locked(xsipc_registry *reg, const xsipc__key *k,
                             xsipc_status *st);
/* Under the registry lock: removes k's key file when this very resolution
 * made it (k->created), in any registry but a native one -- what a failed
 * call leaves is litter even where key files are kept. */
void xsipc__reg_drop_new_locked(xsipc_registry *reg, const xsipc__key *k);
/* xsipc__reg_release for a caller that holds the registry lock. */
void xsipc__reg_release_locked(xsipc_registry *reg, const xsipc__key *k);

/*
 * Removes k's key file, its claim and the inodes parked for its key, in any
 * registry, when the file is still k's inode.  0 (also when it was gone
 * already), or -xsipc_error with st set.
 */
int xsipc__reg_unregister(xsipc_registry *reg, const xsipc__key *k,
                          xsipc_status *st);

/* ------------------------------------------- shared by the registry files */

/* The key ftok(file, proj) gives for a file of stat sb (glibc's formula:
 * proj, the low byte of the device, the low 16 bits of the inode). */
key_t xsipc__reg_ftok(const struct stat *sb, int proj);

/* xsipc__status_path for the key file file of reg: "CAUSE: key file
 * PATH". */
int xsipc__reg_file_error(const xsipc_registry *reg, const char *file,
                          xsipc_status *st, xsipc_error code, const char *fmt,
                          ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

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

/* Takes the registry lock (an flock of the directory on a descriptor of
 * its own, so threads exclude each other too).  The descriptor to give to
 * xsipc__reg_unlock, or -xsipc_error with st set. */
int xsipc__reg_lock(xsipc_registry *reg, xsipc_status *st);
void xsipc__reg_unlock(int lockfd);

/* Names of the files beside the key files. */
#define XSIPC__CLAIM_PREFIX ".claim-"
#define XSIPC__PARK_PREFIX ".park-"
#define XSIPC__TEMP_PREFIX ".new-"
#define XSIPC__LINK_PREFIX ".name-"
#define XSIPC__PARK_MAX 16 /* parked inodes per key */
void xsipc__reg_claim_name(key_t key, char *buf, size_t len);
/* The .name- link of key file file (64 bytes); -1 for a file that is not
 * named as a key file (prefix, 40 hex digits at the end). */
int xsipc__reg_link_name(const char *file, char *buf, size_t len);

/* What the claim of a key says about a key file. */
typedef enum xsipc__claim {
    XSIPC__CLAIM_NONE = 0, /* no claim */
    XSIPC__CLAIM_MINE,     /* the claim names this file */
    XSIPC__CLAIM_OTHER,    /* it names another key file that has this key */
    XSIPC__CLAIM_STALE,    /* it names a file that is gone or has another key */
    XSIPC__CLAIM_FOREIGN   /* not a symbolic link, or one owned by an
                              untrusted uid: planted by someone */
} xsipc__claim;

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

/* Drops key's claim when it names file, with the inodes parked for key and
 * file's .name- link.  Call under the lock. */
void xsipc__reg_drop_claim(xsipc_registry *reg, key_t key, const char *file);

/*
 * Under the lock: makes the key file out->file for name (see claim.c).
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

/* ------------------------------------------------------ directory scans */

/* What a directory entry of a registry is. */
typedef enum xsipc__item_type {
    XSIPC__ITEM_KEY_FILE, /* qipc_sharedmemory_* or qipc_systemsem_* */
    XSIPC__ITEM_CLAIM,
    XSIPC__ITEM_PARKED,
    XSIPC__ITEM_TEMP,
    XSIPC__ITEM_LINK /* a .name- link */
} xsipc__item_type;

typedef struct xsipc__item {
    xsipc__item_type type;
    const char *file; /* the entry's name */
    struct stat sb;   /* lstat of it */
    /* key files */
    xsipc__kind kind;
    int usable;               /* passed the key file checks, record readable */
    xsipc__key key;           /* when usable */
    const xsipc__record *rec; /* its record, or NULL */
    xsipc__claim claim;       /* the state of its key's claim, when usable */
    char problem[256];        /* why it is not usable */
    /* claims, parked inodes, links */
    key_t named;      /* the key in the entry's name (a link's target) */
    int stale;        /* a claim of a gone key file; a parked inode whose
                         key no longer has a valid claim; a link whose key
                         file does not hold the key */
    char target[256]; /* a claim's key file */
} xsipc__item;

/* Called for each item; a non-zero return stops the scan and is
 * returned. */
typedef int (*xsipc__scan_fn)(xsipc_registry *reg, const xsipc__item *item,
                              void *arg);

/*
 * Reads the directory once (the only place that does) and calls fn for
 * every key file, claim, parked inode and temp file.  Other entries are
 * skipped.  Returns fn's non-zero value, 0, or -xsipc_error with st set.
 */
int xsipc__reg_scan(xsipc_registry *reg, xsipc__scan_fn fn, void *arg,
                    xsipc_status *st);

#endif /* XSIPC_REGISTRY_H */
