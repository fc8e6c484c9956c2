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
 * Claims and key files made by xsipc change only under the registry lock,
 * a flock() of the directory.  Looking up a name that has a key file takes
 * no lock and writes nothing.
 *
 * This is what lib/ sees of the registry: the handle is opaque to it, read
 * through the accessors below; the structure and the claims and parks
 * beside the key files are registry/internal.h's, for registry/ alone (and
 * the tests).
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
    int used;       /* the caller's: an object at this key served a call
                       that succeeded since the key was resolved; only
                       such a key file may be kept idle (linger.c) */
    /* What the lookup that filled the fields above saw of the key file,
     * kept so that the next resolution of the same name can reuse them
     * after one fstatat shows the same file, unchanged (recall.c,
     * xsipc__reg_resolve_key); cached is 0 when there is nothing to
     * reuse. */
    int cached;
    nlink_t nlink;
    uid_t uid;
    mode_t mode;
    off_t size;
    struct timespec ctime;
} xsipc__key;

/* SHA-1 (FIPS 180-4) of len bytes; out gets 20 bytes. */
void xsipc__sha1(const void *data, size_t len, unsigned char out[20]);

/* The path Qt's temporary directory starts from: $TMPDIR (unset or empty:
 * "/tmp") cleaned by spelling as QDir::cleanPath does, not resolved.
 * Returns 0, or -XSIPC_KEY_ERROR when it does not fit. */
int xsipc__reg_qt_temp_path(char *buf, size_t len);
/*
 * The Qt default directory: the realpath of xsipc__reg_qt_temp_path, as
 * QDir::tempPath computes it.  A $TMPDIR that names no directory (missing,
 * a dangling link, a file, unresolvable) is refused with -XSIPC_KEY_ERROR
 * and st saying where Qt would look; never another directory instead.
 */
int xsipc__reg_default_dir(char *buf, size_t len, xsipc_status *st);

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
/* The default registry (xsipc__reg_open(NULL, 0, in_use)), opened once per
 * process and shared while $TMPDIR still names the directory it holds
 * (see default.c).  A reference of the caller's own, or NULL with st set.
 * Never for a registry the caller may change (trust_uid). */
xsipc_registry *xsipc__reg_open_default(xsipc__key_probe_fn in_use,
                                        xsipc_status *st);
/* Adds a reference; returns reg. */
xsipc_registry *xsipc__reg_ref(xsipc_registry *reg);

/* Non-zero when objects and key files of uid may be used through reg: our
 * effective uid, root, or a uid trusted for reg or for the process. */
int xsipc__reg_trusted(const xsipc_registry *reg, uid_t uid);

/*
 * Resolves name of kind to its key file and key_t.  With create, a missing
 * key file is made: its record written and its key claimed before it gets
 * its name, with a new inode while the key collides (see make.c).
 * Without, a missing file is -XSIPC_NOT_FOUND.  A key file that exists is
 * only read (and, in a persistent registry, claimed once when Qt made it);
 * one Qt made on a key another file's claim holds is refused, or with
 * create parked and made again.
 * In a NATIVE registry name is the key file's own name and neither records
 * nor claims are used.  *out needs no initialisation.  Returns 0 or
 * -xsipc_error with st set.
 */
int xsipc__reg_resolve(xsipc_registry *reg, xsipc__kind kind, const char *name,
                       int create, xsipc__key *out, xsipc_status *st);

/* xsipc__reg_resolve, and a key file made by this call gets a record that
 * marks its segment as outliving its users when keep is non-zero.  *out
 * holds zeroes, or what an earlier resolution gave the caller (a handle's
 * key): when that key file is gone and the name is made again, the claim
 * it left is dropped (only its holder can find it without a scan). */
int xsipc__reg_resolve_keep(xsipc_registry *reg, xsipc__kind kind,
                            const char *name, int create, int keep,
                            xsipc__key *out, xsipc_status *st);

/* Fills k, which holds no cached lookup yet, from the process's table of
 * lookups (recall.c) when an earlier handle of reg looked the same name
 * up: k is then a cached key, good while xsipc__reg_still says so, and
 * its file name comes with it.  No system call, no hashing.  Non-zero
 * when k is a cached key now. */
int xsipc__reg_key_recall(const xsipc_registry *reg, xsipc__kind kind,
                          const char *name, xsipc__key *k);

/* Drops what k holds of an earlier lookup, in k and in the process's
 * table: a check of it failed (the next resolution looks the file up). */
void xsipc__reg_key_forget(const xsipc_registry *reg, xsipc__key *k);

/* Makes k a key with no name yet (its file name is computed once, by the
 * first xsipc__reg_resolve_key, unless the caller fills k->file with the
 * name xsipc__reg_file_name gave) and nothing cached. */
void xsipc__reg_key_init(xsipc__key *k);

/*
 * xsipc__reg_resolve_keep for a key that a handle keeps from call to call
 * (made by xsipc__reg_key_init): the name is hashed into k->file once, and
 * a key file looked up before is taken as it was found when one fstatat
 * shows the very file unchanged (see recall.c for what that proves).  The
 * caller must still check k under its locks with xsipc__reg_current, as
 * after any resolution; when that fails, k is forgotten and the next call
 * looks the name up afresh.
 */
int xsipc__reg_resolve_key(xsipc_registry *reg, xsipc__kind kind,
                           const char *name, int create, int keep,
                           xsipc__key *k, xsipc_status *st);

/* xsipc__reg_resolve_key without create, for a caller that makes a missing
 * key file itself (under its locks, with xsipc__reg_resolve_locked): a
 * missing file is -XSIPC_NOT_FOUND with st left alone; other errors fill
 * st as resolve does.  (A name in a persistent registry whose key file Qt
 * made is still claimed, under the lock, as a lookup claims it.) */
int xsipc__reg_lookup_key(xsipc_registry *reg, xsipc__kind kind,
                          const char *name, int keep, xsipc__key *out,
                          xsipc_status *st);

/* xsipc__reg_resolve_key(create) for a caller that holds the registry
 * lock and found no key file just before (xsipc__reg_lookup_key said
 * -XSIPC_NOT_FOUND): the file is made -- or, when it appeared meanwhile,
 * looked up -- in that hold, so the key it gives is as current as
 * xsipc__reg_still would show it (no check is needed after), and an
 * object made at it in the same hold is made at a current key (lib/
 * semset.c's R1). */
int xsipc__reg_resolve_locked(xsipc_registry *reg, xsipc__kind kind,
                              const char *name, int keep, xsipc__key *out,
                              xsipc_status *st);

/* Non-zero when the key file at k->file is still the inode k came from. */
int xsipc__reg_current(const xsipc_registry *reg, const xsipc__key *k);
/* The check of the lock-set protocol (lib/semset.c, R1 and R4): the key
 * file at k->file is still the inode k came from, and when k holds a
 * cached lookup, unchanged since (links, owner, mode, size, ctime), so
 * that what k says of it -- key, record -- is still the file's.  One
 * fstatat.  A caller that gets 0 calls xsipc__reg_key_forget before it
 * looks again. */
int xsipc__reg_still(const xsipc_registry *reg, const xsipc__key *k);

/*
 * Removes k's key file and its claim when it is still k's inode, as Qt
 * removes its key files with the last user; a persistent registry keeps
 * them.  When a Qt program removed the file first, the claim it left goes.
 * Returns 1 when the file is kept instead, idle, for this process's next
 * use of the name (linger.c): k stays as it is, cache and all; else 0.
 */
int xsipc__reg_release(xsipc_registry *reg, xsipc__key *k);

/* Non-zero when reg's key files follow Qt's life cycle (they go with their
 * objects): not persistent, not native. */
int xsipc__reg_follows_qt(const xsipc_registry *reg);
/* xsipc__reg_unregister for a caller that holds the registry lock. */
int xsipc__reg_remove_locked(xsipc_registry *reg, xsipc__key *k,
                             xsipc_status *st);
/* Under the registry lock: removes k's key file when this very resolution
 * made it (k->created), in any registry but a native one -- what a failed
 * call leaves is litter even where key files are kept. */
void xsipc__reg_drop_new_locked(xsipc_registry *reg, xsipc__key *k);
/* xsipc__reg_release for a caller that holds the registry lock. */
int xsipc__reg_release_locked(xsipc_registry *reg, xsipc__key *k);
/* The end of the key files this process keeps idle in reg (linger.c):
 * those still the inode kept, with no object at their key, are removed;
 * the others are forgotten; reg NULL: every registry's.  Done when reg's
 * last reference goes and at exit; a caller that wants none left before
 * then (a test) may call it. */
void xsipc__reg_linger_end(xsipc_registry *reg);
/* What the layer above keeps for a registry (lib/semidle.c) ends with its
 * last reference: fn(reg) is called then, before anything of reg goes.
 * One hook for the process; setting it again changes nothing. */
typedef void (*xsipc__reg_end_fn)(xsipc_registry *reg);
void xsipc__reg_on_end(xsipc__reg_end_fn fn);

/* For a forced removal (XSIPC_REMOVE_FORCE), under the registry lock:
 * 1 when name's key file of kind is ours (trusted, at most its claim as a
 * second link) but its record does not parse, with k naming it and its
 * key as ftok(file, 'Q'); 0 when there is no such file or its record
 * reads; or -error with st set. */
int xsipc__reg_bad_record_locked(xsipc_registry *reg, xsipc__kind kind,
                                 const char *name, xsipc__key *k,
                                 xsipc_status *st);

/*
 * Removes k's key file, its claim and the inodes parked for its key, in any
 * registry, when the file is still k's inode.  0 (also when it was gone
 * already), or -xsipc_error with st set.  Once it removed them, k's dev and
 * ino are 0 and nothing of it is cached (so for every removal below).
 */
int xsipc__reg_unregister(xsipc_registry *reg, xsipc__key *k, xsipc_status *st);

/* --------------------------------------------- key files, lock, accessors */

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

/* Takes the registry lock (an flock of the directory on a descriptor of
 * its own, so threads exclude each other too).  The descriptor to give to
 * xsipc__reg_unlock, or -xsipc_error with st set. */
int xsipc__reg_lock(xsipc_registry *reg, xsipc_status *st);
void xsipc__reg_unlock(int lockfd);

/* The registry's directory: absolute, without a trailing slash ("/" for
 * the root). */
const char *xsipc__reg_dir(const xsipc_registry *reg);
/* dir/file into buf (len bytes), as snprintf: "/file" in the root. */
int xsipc__reg_path(const xsipc_registry *reg, const char *file, char *buf,
                    size_t len);
/* The mode of the System V objects made for the registry's names: 0600,
 * or 0660 with XSIPC_REGISTRY_GROUP. */
mode_t xsipc__reg_obj_mode(const xsipc_registry *reg);
/* Non-zero for a persistent registry (XSIPC_REGISTRY_PERSISTENT). */
int xsipc__reg_persistent(const xsipc_registry *reg);
/* Non-zero for a native one (XSIPC__REG_NATIVE: the caller's key file). */
int xsipc__reg_native(const xsipc_registry *reg);
/* fstat of the registry's directory (the descriptor it holds): 0, or -1
 * with errno. */
int xsipc__reg_dir_stat(const xsipc_registry *reg, struct stat *sb);

/*
 * Of the semaphore set key file sem_file, the key of the segment key file
 * of the same name (the one its lock guards): 1 with *key set, 0 when
 * sem_file is no semaphore set's or there is no such segment key file, -1
 * when that file exists but cannot be read.
 */
int xsipc__reg_shm_key_of(xsipc_registry *reg, const char *sem_file,
                          key_t *key);

/* What the claim of a key says about a key file. */
typedef enum xsipc__claim {
    XSIPC__CLAIM_NONE = 0, /* no claim */
    XSIPC__CLAIM_MINE,     /* the claim is this file */
    XSIPC__CLAIM_OTHER,    /* it is another key file that has this key */
    XSIPC__CLAIM_STALE,    /* its key file is gone, or it holds no key now */
    XSIPC__CLAIM_FOREIGN   /* owned by an untrusted uid, or not a claim
                              xsipc makes: planted by someone */
} xsipc__claim;

/* ------------------------------------------------------ directory scans */

/* What a directory entry of a registry is. */
typedef enum xsipc__item_type {
    XSIPC__ITEM_KEY_FILE, /* qipc_sharedmemory_* or qipc_systemsem_* */
    XSIPC__ITEM_CLAIM,
    XSIPC__ITEM_PARKED,
    XSIPC__ITEM_TEMP,
    XSIPC__ITEM_OLD /* an older xsipc's .name- link: nothing uses it now */
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
    int stranger; /* not usable only for its owner, an untrusted uid: its
                     record (rec, when it parses) and key were read, to be
                     shown read-only, never used or changed */
    /* claims, parked inodes, an older xsipc's files */
    key_t named;      /* the key in the entry's name */
    int stale;        /* a claim of a gone key file; a parked inode whose
                         key no longer has a valid claim; an unfinished key
                         file; an older xsipc's .name- link */
    char target[256]; /* a claim's key file */
} xsipc__item;

/* Called for each item; a non-zero return stops the scan and is
 * returned. */
typedef int (*xsipc__scan_fn)(xsipc_registry *reg, const xsipc__item *item,
                              void *arg);

/*
 * Reads the directory once (the only place that does) and calls fn for
 * every key file, claim, parked inode, temp file and an older xsipc's
 * .name- link.  Other entries are skipped.  Returns fn's non-zero value,
 * 0, or -xsipc_error with st set.
 */
int xsipc__reg_scan(xsipc_registry *reg, xsipc__scan_fn fn, void *arg,
                    xsipc_status *st);
/* The same for the one entry file (a name of the directory), without
 * reading the directory: fn's value, or -XSIPC_NOT_FOUND with st set when
 * there is no such entry. */
int xsipc__reg_scan_file(xsipc_registry *reg, const char *file,
                         xsipc__scan_fn fn, void *arg, xsipc_status *st);

/*
 * gc's removal of the file item, found stale by a scan (a claim, parked
 * inode, unfinished key file or old .name- link): judged again under the
 * registry lock, and removed when it is still stale and still ours (see
 * reap.c).  1 when it was removed, 0 when it stays.
 */
int xsipc__reg_reap_file(xsipc_registry *reg, const xsipc__item *it);

#endif /* XSIPC_REGISTRY_H */
