/* SPDX-License-Identifier: MIT */
/*
 * xsipc.h -- named System V shared memory and semaphores, wire-compatible
 * with Qt's QSharedMemory and QSystemSemaphore.
 *
 * This is the only public header.  Every handle is opaque.  Functions that
 * return int give 0 on success and -xsipc_error on failure; the handle then
 * keeps the error code and a message naming the operation and the cause.
 * The library never prints, never exits and never raises signals.
 *
 * Threads.  A handle (xsipc_shm, xsipc_sem) is used by one thread at a
 * time: calls on one handle from two threads at once need the caller's own
 * mutex.  Distinct handles may be used from any threads at once, handles
 * of the same name too (their locks exclude each other as between
 * processes), and so may a registry (xsipc_registry) and the handles made
 * from it: lookups, listing, removal, gc and close are safe from any
 * thread.  What the process shares, and how:
 *  - the default registry (the one of handles made without a registry, and
 *    of reg NULL), opened once per value of $TMPDIR and kept until exit;
 *  - a table of the names it looked up, by registry, kind and name, so
 *    that a new handle of a known name starts from its key;
 *  - the idle key files: the key files of a name the process keeps
 *    re-creating stay, claimed, while it has the registry open, and go
 *    when it closes the registry's last reference or exits (a destructor;
 *    _exit, exec or a fatal signal leave them to xsipc_registry_gc);
 *  - the uids trusted with xsipc_registry_trust_uid(NULL, uid), which
 *    only grow.
 * The three tables are taken with a flag that never waits: a thread that
 * finds one taken does without it, which only costs system calls.
 * xsipc_registry_trust_uid is not thread-safe: two calls on one registry
 * (or both with NULL) must not overlap, and it is best called before other
 * threads start.
 *
 * Processes.  After fork(2) the child may go on using the handles and
 * registries it inherited: it takes the registry lock with a description
 * of its own, never its parent's, and keeps none of its parent's idle key
 * files.  A child does not hold the locks its parent holds (System V undo
 * records are not inherited): it must not unlock or release what its
 * parent locked or acquired for it.  exec(2) keeps undo records and ends
 * the mappings; nothing else of the library survives it.
 *
 * NULL arguments.  Every function given a NULL handle or registry where
 * one is required fails cleanly and never crashes: int functions return
 * -XSIPC_INVALID_ARGUMENT, pointer functions NULL (the error strings a
 * message saying the handle is NULL, never NULL themselves),
 * size and flag queries 0, xsipc_shm_error and xsipc_sem_error
 * XSIPC_INVALID_ARGUMENT; a NULL status is never written.  The functions
 * that end something (xsipc_shm_free, xsipc_sem_free, xsipc_registry_close)
 * accept NULL and do nothing.  Where reg NULL means the default registry,
 * the function says so.  A NULL name is a bad name (XSIPC_KEY_ERROR, kept
 * in an xsipc_sem handle), but for xsipc_shm_new, xsipc_shm_set_key and
 * xsipc_shm_set_native_key, where it means "no key" (as Qt's empty key).
 *
 * Results.  Every call whose result tells whether the caller may go on
 * is marked XSIPC_WARN_UNUSED, so that the compiler warns when one is
 * ignored: the constructors, set_key and the other settings, create,
 * attach, the lock and acquire calls, release, and the registry's
 * lookups, listing, removal and gc.  Not detach and unlock, which cleanup
 * paths call without a way to react (their failure stays in the handle).
 * GCC does not take a (void) cast for a use: test the result.
 */
#ifndef XSIPC_H
#define XSIPC_H

#include <stddef.h>
#include <sys/ipc.h> /* key_t, whatever the feature macros */
#include <sys/types.h>

#include <xsipc_version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define XSIPC_API __attribute__((visibility("default")))
#define XSIPC_WARN_UNUSED __attribute__((warn_unused_result))
#define XSIPC_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#else
#define XSIPC_API
#define XSIPC_WARN_UNUSED
#define XSIPC_NONNULL(...)
#endif

/* ---------------------------------------------------------------- errors */

/*
 * 0..8 have the values of QSharedMemory::SharedMemoryError; the rest go
 * beyond Qt.  XSIPC_ERROR_TABLE generates both the enum and the strings.
 */
#define XSIPC_ERROR_TABLE(X)                                                   \
    X(XSIPC_NO_ERROR, 0, "no error")                                           \
    X(XSIPC_PERMISSION_DENIED, 1, "permission denied")                         \
    X(XSIPC_INVALID_SIZE, 2, "invalid size")                                   \
    X(XSIPC_KEY_ERROR, 3, "key error")                                         \
    X(XSIPC_ALREADY_EXISTS, 4, "already exists")                               \
    X(XSIPC_NOT_FOUND, 5, "not found")                                         \
    X(XSIPC_LOCK_ERROR, 6, "lock error")                                       \
    X(XSIPC_OUT_OF_RESOURCES, 7, "out of resources")                           \
    X(XSIPC_UNKNOWN_ERROR, 8, "unknown error")                                 \
    X(XSIPC_INVALID_ARGUMENT, 9, "invalid argument")                           \
    X(XSIPC_TIMEOUT, 10, "timed out")                                          \
    X(XSIPC_WOULD_BLOCK, 11, "operation would block")                          \
    X(XSIPC_REMOVED, 12, "object removed")                                     \
    X(XSIPC_KEY_COLLISION, 13, "key collision")                                \
    X(XSIPC_UNTRUSTED, 14, "object owned by an untrusted user")                \
    X(XSIPC_NOT_ATTACHED, 15, "not attached")                                  \
    X(XSIPC_ALREADY_ATTACHED, 16, "already attached")

#define XSIPC_ERROR_ENUM_(name, value, text) name = value,
typedef enum xsipc_error { XSIPC_ERROR_TABLE(XSIPC_ERROR_ENUM_) } xsipc_error;
#undef XSIPC_ERROR_ENUM_

/*
 * Returned (positive) by the lock functions: the lock is now held, and its
 * previous holder died while holding it, so the data it guards may be
 * half-written.  Like EOWNERDEAD for robust mutexes.
 */
#define XSIPC_OWNER_DIED 1

typedef enum { XSIPC_READ_ONLY = 0, XSIPC_READ_WRITE = 1 } xsipc_access;
typedef enum { XSIPC_OPEN = 0, XSIPC_CREATE = 1 } xsipc_sem_mode;
/* Deprecated (kept for the 0.x series; use xsipc_sem_set_persistent):
 * or'ed into the mode of xsipc_sem_new/_new_in, it makes the set that call
 * makes persistent, as xsipc_sem_set_persistent(sem, 1) does. */
#define XSIPC_SEM_PERSISTENT 0x100

/*
 * A status filled in by functions that have no handle to keep an error in
 * (xsipc_registry_open).  The text is empty on success.
 */
typedef struct xsipc_status {
    xsipc_error code;
    char text[256];
} xsipc_status;

typedef struct xsipc_registry xsipc_registry;
typedef struct xsipc_shm xsipc_shm;
typedef struct xsipc_sem xsipc_sem;

/* The text of an error code; never NULL, also for values out of range. */
XSIPC_API const char *xsipc_strerror(xsipc_error code);
/* The name of an error code as spelled in this header ("XSIPC_NOT_FOUND"),
 * for logs and bindings; "XSIPC_UNRECOGNISED_ERROR" for a value out of
 * range, never NULL. */
XSIPC_API const char *xsipc_error_name(xsipc_error code);

/* ------------------------------------------------------------- registry */

/*
 * A registry is a directory of key files.  A name of a kind maps to a key
 * file named as Qt names it (qipc_sharedmemory_ or qipc_systemsem_, the
 * ASCII letters of the name, the SHA-1 of its bytes) and the key file's
 * inode gives the key_t, as ftok(path, 'Q') does for Qt.  xsipc makes sure
 * that two names never share a key: each key is claimed by one key file
 * (an O(1) claim file beside it), and a new key file whose inode would
 * give a claimed key, or one at which an object exists already, is made
 * again with another inode (in a persistent registry, another proj id may
 * be used instead).  A key file may hold a small record of its name; an
 * empty one (made by Qt) is valid.
 */

/* What a name stands for.  A segment's lock is the semaphore set of the
 * same name (as with Qt). */
typedef enum {
    XSIPC_KIND_SHM = 0, /* a segment (QSharedMemory) */
    XSIPC_KIND_SEM = 1  /* a semaphore set (QSystemSemaphore, a lock) */
} xsipc_kind;

/* Key files, claims and records stay after their objects are gone (stable
 * keys); create and attach of a known name then write nothing to the file
 * system.  Without it, key files follow Qt's life cycle: the last user of
 * an object removes its key file.  Only in a persistent registry may a
 * colliding key be avoided with another proj id (such a name is out of
 * reach of Qt programs). */
#define XSIPC_REGISTRY_PERSISTENT 0x1u
/* Objects are made with mode 0660 and key files 0660 (a shared group). */
#define XSIPC_REGISTRY_GROUP 0x2u

/*
 * Opens the registry in directory dir, or with dir NULL the Qt default
 * directory (realpath of $TMPDIR, cleaned as Qt cleans it; unset or empty:
 * /tmp).  A $TMPDIR that names no directory is refused (XSIPC_KEY_ERROR,
 * the message says where Qt would look: "/" for a missing one), never
 * replaced by another directory.  The directory must exist,
 * and is refused (XSIPC_UNTRUSTED) when writable by group or others
 * without the sticky bit, or owned by a user other than us, root and the
 * uids trusted for the process (xsipc_registry_trust_uid(NULL, uid)).
 * Returns NULL on failure, with status (when not NULL) telling why.
 * Handles made from a registry keep a reference: it may be closed first.
 */
XSIPC_API xsipc_registry *
xsipc_registry_open(const char *dir, unsigned flags,
                    xsipc_status *status) XSIPC_WARN_UNUSED;
/* Drops the caller's reference; NULL is allowed. */
XSIPC_API void xsipc_registry_close(xsipc_registry *reg);
/* The registry's absolute directory, without a trailing slash; NULL when
 * reg is NULL (the default registry has no handle to ask). */
XSIPC_API const char *xsipc_registry_dir(const xsipc_registry *reg);

/*
 * Trusts uid besides ourselves and root: key files, claims and System V
 * objects owned by uid are used instead of refused.  With reg NULL the
 * trust is for the whole process: every registry opened afterwards (the
 * default ones of xsipc_shm_new and xsipc_sem_new too), and the owner of
 * a registry directory, which xsipc_registry_open checks.  Up to 16 uids
 * each.  Not thread-safe: call it before other threads use the registry.
 * Returns 0, -XSIPC_INVALID_ARGUMENT for (uid_t)-1, or
 * -XSIPC_OUT_OF_RESOURCES when 16 uids are trusted already.
 */
XSIPC_API int xsipc_registry_trust_uid(xsipc_registry *reg,
                                       uid_t uid) XSIPC_WARN_UNUSED;

/*
 * Resolves name of kind to its key: the key file is made (record written,
 * key claimed) when create is non-zero and it does not exist yet; without
 * create a missing one is XSIPC_NOT_FOUND.  key (when not NULL) gets the
 * key_t, path (when not NULL) the key file's path, NUL-terminated, in
 * pathlen bytes.  reg NULL means the default registry.  Looking up a name
 * that has a key file costs a fixed number of system calls, whatever the
 * registry's size.  Returns 0 or -xsipc_error with status telling why:
 * XSIPC_KEY_ERROR for a bad name (empty, or a file name over NAME_MAX) or
 * a bad record, XSIPC_KEY_COLLISION when the key file's key is claimed by
 * another key file (one made by Qt outside xsipc's claims),
 * XSIPC_UNTRUSTED for a key file that is a symbolic link, has another hard
 * link or belongs to an untrusted user, XSIPC_INVALID_ARGUMENT when path
 * is too small (nothing is made then).
 */
XSIPC_API int xsipc_registry_key(xsipc_registry *reg, const char *name,
                                 xsipc_kind kind, int create, key_t *key,
                                 char *path, size_t pathlen,
                                 xsipc_status *status) XSIPC_WARN_UNUSED;

/* The state of a registry entry's object (xsipc_registry_list). */
typedef enum {
    XSIPC_ENTRY_LIVE = 0,   /* an object exists at the key and is in use,
                               or is persistent */
    XSIPC_ENTRY_STALE = 1,  /* a segment no one attaches whose creator is
                               dead, or an xsipc semaphore set no process
                               has open: xsipc_registry_gc removes it */
    XSIPC_ENTRY_ORPHAN = 2, /* a key file with no object at its key */
    XSIPC_ENTRY_FOREIGN = 3 /* a key file or object of an untrusted user, or
                               a key file that cannot be used (problem
                               says why): never touched.  An untrusted
                               user's key file still gives its recorded
                               name and the object at its key, read-only */
} xsipc_entry_status;

/* xsipc_registry_entry flags */
#define XSIPC_ENTRY_PERSISTENT 0x1u /* its record marks it persistent */
#define XSIPC_ENTRY_UNCLAIMED 0x2u  /* no claim holds its key (Qt made it) */
#define XSIPC_ENTRY_COLLISION 0x4u  /* its key is claimed by another file */
#define XSIPC_ENTRY_CHANNEL 0x8u    /* its segment is a channel's */

/* One key file and the object at its key.  Pointers are valid during the
 * callback only (xsipc_registry_stat: see there).  New fields are added at
 * the end. */
typedef struct xsipc_registry_entry {
    const char *name; /* the recorded name; NULL when there is no record */
    xsipc_kind kind;
    key_t key;
    int proj;               /* the key's ftok proj id ('Q' = 81 as Qt) */
    const char *path;       /* the key file */
    int id;                 /* the object's shmid or semid; -1 when none */
    size_t size;            /* segment bytes, or semaphores in the set */
    unsigned long attached; /* segment: shm_nattch; xsipc semaphore set:
                               handles that have it open; else 0 */
    uid_t owner;            /* the object's owner, else the key file's */
    pid_t creator;          /* the segment's creator (shm_cpid), else the pid
                               in the record; 0 when unknown */
    long long created;      /* the record's time (seconds since the epoch) */
    xsipc_entry_status status;
    unsigned flags;      /* XSIPC_ENTRY_* */
    const char *problem; /* why the entry is FOREIGN; NULL otherwise */
    mode_t mode;         /* the object's permission bits (0777), else the
                            key file's (07777) */
    long long ctime;     /* the object's last change (IPC_STAT's ctime: its
                            creation, or its last IPC_SET), else the key
                            file's st_ctime; seconds since the epoch */
} xsipc_registry_entry;

/* Called per entry; a non-zero return stops the listing. */
typedef int (*xsipc_registry_fn)(const xsipc_registry_entry *entry, void *arg);

/*
 * Calls fn for every key file of the registry (reg NULL: the default one)
 * with the object at its key.  Returns the number of entries given to fn,
 * or -xsipc_error with status telling why.  Reads the whole directory.
 */
XSIPC_API int xsipc_registry_list(xsipc_registry *reg, xsipc_registry_fn fn,
                                  void *arg,
                                  xsipc_status *status) XSIPC_WARN_UNUSED;

/*
 * Describes name of kind as xsipc_registry_list would describe its key
 * file (reg NULL: the default registry), in *out: one lookup of the file,
 * no directory read, nothing made.  The strings *out points to are the
 * calling thread's, valid until its next xsipc_registry_stat (whatever
 * the registry); copy them to keep them.  Returns 0, or -xsipc_error with
 * status telling why: XSIPC_NOT_FOUND when the name has no key file,
 * XSIPC_KEY_ERROR for a bad name, XSIPC_INVALID_ARGUMENT for a bad kind or
 * out NULL.  A key file that cannot be used is an entry too (FOREIGN, its
 * problem saying why), as in a listing.
 */
XSIPC_API int xsipc_registry_stat(xsipc_registry *reg, const char *name,
                                  xsipc_kind kind, xsipc_registry_entry *out,
                                  xsipc_status *status) XSIPC_WARN_UNUSED;

/* xsipc_registry_remove flags: also remove the object at the key, when it
 * is ours and no one uses it. */
#define XSIPC_REMOVE_OBJECT 0x1u
/* xsipc_registry_remove flags: a key file whose record does not parse
 * (XSIPC_KEY_ERROR "bad record") is removed too, with its claim, when it
 * is ours and no object is at its key, ftok(file, 'Q'); and, for root, an
 * unused object of a uid trusted (xsipc_registry_trust_uid) is taken as
 * ours (`xsipc rm --force`). */
#define XSIPC_REMOVE_FORCE 0x2u

/*
 * Removes the key file of name, with its claim and record (also in a
 * persistent registry).  An object at its key makes it fail with
 * XSIPC_ALREADY_EXISTS, unless XSIPC_REMOVE_OBJECT is given and the object
 * is ours and unused (a segment with no attach, a semaphore set no one has
 * open or waits on), which is then removed first.  XSIPC_NOT_FOUND when
 * there is no key file.  Returns 0 or -xsipc_error with status.
 */
XSIPC_API int xsipc_registry_remove(xsipc_registry *reg, const char *name,
                                    xsipc_kind kind, unsigned flags,
                                    xsipc_status *status) XSIPC_WARN_UNUSED;

/* xsipc_registry_gc flags */
#define XSIPC_GC_DRY_RUN 0x1u /* report, remove nothing */
#define XSIPC_GC_NOW 0x2u     /* no grace period for orphan key files */
/* For root: stale objects of trusted uids go too (`xsipc gc --force`). */
#define XSIPC_GC_FORCE 0x4u
/* Orphan key files younger than this are kept: a Qt program makes its key
 * file a moment before its object. */
#define XSIPC_GC_GRACE_SECONDS 60

typedef enum {
    XSIPC_GC_SEGMENT = 0,   /* a stale segment */
    XSIPC_GC_SEMAPHORE = 1, /* an xsipc semaphore set no process has open */
    XSIPC_GC_KEY_FILE = 2,  /* a key file with no object (Qt life cycle) */
    XSIPC_GC_CLAIM = 3,     /* a claim whose key file is gone */
    XSIPC_GC_PARKED = 4,    /* a parked inode whose key is not claimed */
    XSIPC_GC_TEMP = 5       /* a key file a crashed process did not finish */
} xsipc_gc_what;

typedef struct xsipc_gc_item {
    xsipc_gc_what what;
    const char *path;   /* the file, or the key file of the object */
    key_t key;          /* the key concerned; 0 for a temp file */
    int id;             /* the object's id; -1 for files */
    const char *reason; /* why it is dead */
} xsipc_gc_item;

typedef void (*xsipc_gc_fn)(const xsipc_gc_item *item, void *arg);

/*
 * Removes what is provably dead in the registry (reg NULL: the default
 * one), calling fn (when not NULL) for each thing removed -- or, with
 * XSIPC_GC_DRY_RUN, each thing that would be: stale segments and xsipc
 * semaphore sets owned by us (not persistent ones), and then, in a
 * registry that is not persistent, their key files; key files with no
 * object older than XSIPC_GC_GRACE_SECONDS (any age with XSIPC_GC_NOW) in
 * a registry that is not persistent; claims of gone key files; parked
 * inodes whose key is not claimed; unfinished key files.  Live, persistent
 * and foreign objects and their key files are never touched.  Returns the
 * number of things removed (or that would be), or -xsipc_error.
 */
XSIPC_API int xsipc_registry_gc(xsipc_registry *reg, unsigned flags,
                                xsipc_gc_fn fn, void *arg,
                                xsipc_status *status) XSIPC_WARN_UNUSED;

/* ------------------------------------------------- shared memory segment */

/* A handle for the segment named key (NULL: set it later), in the default
 * registry.  Returns NULL only when out of memory; a bad key is kept in the
 * handle (xsipc_shm_error).  A key refused here or by set_key or
 * set_native_key leaves no key, and its reason (code and message) answers
 * every later call on the handle until another key is set. */
XSIPC_API xsipc_shm *xsipc_shm_new(const char *key) XSIPC_WARN_UNUSED;
/* The same in registry reg (NULL: the default one). */
XSIPC_API xsipc_shm *xsipc_shm_new_in(xsipc_registry *reg,
                                      const char *key) XSIPC_WARN_UNUSED;
/* Sets the name; detaches first when attached.  The name the handle has
 * already (in the same registry) changes nothing: it stays attached and
 * keeps the lock, as with Qt's setKey. */
XSIPC_API int xsipc_shm_set_key(xsipc_shm *shm,
                                const char *key) XSIPC_WARN_UNUSED;
/* Uses key_file_path itself as the key file (Qt's setNativeKey).  The
 * path is kept as given and used at each create, attach and lock of a
 * handle neither attached nor locked, so a relative one resolves against
 * the working directory of that call.  A directory that does not exist is
 * accepted here and fails there, as with Qt: create XSIPC_KEY_ERROR,
 * attach XSIPC_NOT_FOUND, lock XSIPC_LOCK_ERROR.  A directory's path or a
 * file name over NAME_MAX is refused at once (XSIPC_KEY_ERROR).  The
 * string the handle has already changes nothing (no detach). */
XSIPC_API int
xsipc_shm_set_native_key(xsipc_shm *shm,
                         const char *key_file_path) XSIPC_WARN_UNUSED;
/* The name, or NULL when a native key or none is set. */
XSIPC_API const char *xsipc_shm_key(const xsipc_shm *shm);
/* A native key exactly as set (Qt's nativeKey); for a name, its key
 * file's path; NULL when no key is set. */
XSIPC_API const char *xsipc_shm_native_key(const xsipc_shm *shm);
/* Creates a segment of size bytes and attaches it, under the lock.
 * XSIPC_ALREADY_EXISTS when a segment has this key. */
XSIPC_API int xsipc_shm_create(xsipc_shm *shm, size_t size,
                               xsipc_access access) XSIPC_WARN_UNUSED;
/* Attaches the existing segment; XSIPC_NOT_FOUND when there is none.
 * XSIPC_READ_ONLY maps it read-only. */
XSIPC_API int xsipc_shm_attach(xsipc_shm *shm,
                               xsipc_access access) XSIPC_WARN_UNUSED;
/*
 * persistent 1: the segment this handle creates next outlives its users,
 * as `xsipc create` and `xsipc put` make them.  Its key file's record
 * says so; the last detach leaves it in place, and create() never
 * reclaims it as stale.  It goes with xsipc_registry_remove(...,
 * XSIPC_REMOVE_OBJECT) (`xsipc rm`).  Qt programs see an ordinary segment
 * (a Qt detach by its last user still removes it).  Set before
 * xsipc_shm_create; a key file that exists without the mark is made again
 * when no segment uses it, else create fails with XSIPC_ALREADY_EXISTS.
 * 0, or -XSIPC_INVALID_ARGUMENT.
 */
XSIPC_API int xsipc_shm_set_persistent(xsipc_shm *shm,
                                       int persistent) XSIPC_WARN_UNUSED;
/* Detaches; the last user to detach removes the segment and, in the Qt
 * directory, its key file (not a persistent segment). */
XSIPC_API int xsipc_shm_detach(xsipc_shm *shm);
/* Non-zero when the handle is attached to a segment; 0 when not, or when
 * shm is NULL. */
XSIPC_API int xsipc_shm_is_attached(const xsipc_shm *shm);
/* The mapping, or NULL when not attached.  After a read-only attach the
 * pages are mapped read-only: a store through xsipc_shm_data's pointer
 * raises SIGSEGV, as with Qt. */
XSIPC_API void *xsipc_shm_data(xsipc_shm *shm);
/* The same mapping through a const handle, for reading; NULL when not
 * attached. */
XSIPC_API const void *xsipc_shm_const_data(const xsipc_shm *shm);
/* The segment's size as the kernel reports it; 0 when not attached. */
XSIPC_API size_t xsipc_shm_size(const xsipc_shm *shm);
/* Takes the segment's lock (the semaphore QSharedMemory::lock() uses).
 * 0, or XSIPC_OWNER_DIED (lock held; previous holder died holding it).
 * XSIPC_LOCK_ERROR when the handle has no key (as Qt's LockError), and
 * when it holds the lock already -- where Qt warns and returns true: the
 * lock is not counted, and one unlock releases it. */
XSIPC_API int xsipc_shm_lock(xsipc_shm *shm) XSIPC_WARN_UNUSED;
/* As lock, but XSIPC_WOULD_BLOCK at once when the lock is held. */
XSIPC_API int xsipc_shm_try_lock(xsipc_shm *shm) XSIPC_WARN_UNUSED;
/* As lock, but XSIPC_TIMEOUT after timeout_ms milliseconds. */
XSIPC_API int xsipc_shm_lock_timeout(xsipc_shm *shm,
                                     long timeout_ms) XSIPC_WARN_UNUSED;
/* Releases the lock this handle holds; XSIPC_LOCK_ERROR when it holds
 * none, or when the kernel says the semaphore was not held (someone reset
 * it). */
XSIPC_API int xsipc_shm_unlock(xsipc_shm *shm);
/* The code of the handle's last error; XSIPC_NO_ERROR after a call that
 * succeeded. */
XSIPC_API xsipc_error xsipc_shm_error(const xsipc_shm *shm);
/* The last error's message; "" when there was none. */
XSIPC_API const char *xsipc_shm_error_string(const xsipc_shm *shm);
/* Detaches when attached, then frees; NULL is allowed. */
XSIPC_API void xsipc_shm_free(xsipc_shm *shm);

/* ----------------------------------------------------- system semaphore */

/*
 * A counting semaphore named key.  With XSIPC_OPEN, a semaphore that does
 * not exist yet is created with initial_value; with XSIPC_CREATE, this
 * handle takes ownership and sets initial_value -- but only when no other
 * process uses the set, unlike Qt, which would break a current holder.
 * Returns NULL only when out of memory; a bad key or value, or a failure
 * to open the set, is kept in the handle (xsipc_sem_error) and returned by
 * each later call (a failure to open is retried by them).
 */
XSIPC_API xsipc_sem *xsipc_sem_new(const char *key, int initial_value,
                                   xsipc_sem_mode mode) XSIPC_WARN_UNUSED;
/* The same in registry reg (NULL: the default one); the handle keeps a
 * reference to reg. */
XSIPC_API xsipc_sem *xsipc_sem_new_in(xsipc_registry *reg, const char *key,
                                      int initial_value,
                                      xsipc_sem_mode mode) XSIPC_WARN_UNUSED;
/* Waits until the value is positive, then decrements it. */
XSIPC_API int xsipc_sem_acquire(xsipc_sem *sem) XSIPC_WARN_UNUSED;
/* XSIPC_WOULD_BLOCK at once when the value is 0. */
XSIPC_API int xsipc_sem_try_acquire(xsipc_sem *sem) XSIPC_WARN_UNUSED;
/* XSIPC_TIMEOUT after timeout_ms milliseconds. */
XSIPC_API int xsipc_sem_acquire_timeout(xsipc_sem *sem,
                                        long timeout_ms) XSIPC_WARN_UNUSED;
/* Adds n (n > 0) to the value. */
XSIPC_API int xsipc_sem_release(xsipc_sem *sem, int n) XSIPC_WARN_UNUSED;
/*
 * undo 1 (the default, as Qt): each acquire and release is undone when the
 * process exits (SEM_UNDO), so a semaphore used as a lock comes back when
 * its holder dies -- and a count released by a process that then exits is
 * taken back.  undo 0: neither is undone, as producer/consumer signalling
 * needs (a producer's releases must survive it); a consumer that dies
 * after acquiring then does not give the unit back.  Applies to this
 * handle's later calls.  0, or -XSIPC_INVALID_ARGUMENT.
 */
XSIPC_API int xsipc_sem_set_undo(xsipc_sem *sem, int undo) XSIPC_WARN_UNUSED;
/*
 * persistent 1: the set this handle made outlives its users, with its
 * value (its key file's record says so), as `xsipc sem` needs between
 * shell commands; xsipc_registry_remove(..., XSIPC_KIND_SEM,
 * XSIPC_REMOVE_OBJECT) removes it.  The constructor opens the set, so
 * call it right after xsipc_sem_new/_new_in, before any acquire or
 * release (XSIPC_INVALID_ARGUMENT after one): a set the constructor made,
 * that no other handle has joined, is made again with the mark (and with
 * initial_value).  A set that existed before the handle, or that another
 * joined meanwhile, keeps the life cycle it was made with:
 * XSIPC_ALREADY_EXISTS then (the handle stays usable).  A handle whose set
 * could not be opened makes it with the mark when a later call opens it.
 * 0 (also when the set already has the life cycle asked for), or
 * -xsipc_error.
 */
XSIPC_API int xsipc_sem_set_persistent(xsipc_sem *sem,
                                       int persistent) XSIPC_WARN_UNUSED;
/* The code of the handle's last error; XSIPC_NO_ERROR after a call that
 * succeeded.  A handle whose construction failed keeps that error. */
XSIPC_API xsipc_error xsipc_sem_error(const xsipc_sem *sem);
/* The last error's message, naming the operation and the cause; "" when
 * there was none. */
XSIPC_API const char *xsipc_sem_error_string(const xsipc_sem *sem);
/* Frees the handle; NULL is allowed.  The last user of a set made by xsipc
 * removes it and, in Qt's life cycle, its key file (not a persistent
 * set); a set made by Qt is left to its Qt owner.  errno is kept. */
XSIPC_API void xsipc_sem_free(xsipc_sem *sem);

/* ---------------------------------------------------------------- channel */

/*
 * A channel: a bounded queue of whole messages in one named segment of a
 * registry, for any number of senders and receivers (xsipc_channel(3)).
 * Each message is received whole by exactly one receiver, in the order
 * its sender sent it.  A process killed anywhere inside send or recv
 * leaves the channel usable: a message it had not published is never seen,
 * one it had not finished receiving stays for the next receiver, and the
 * send or receive turn it held is taken over once its death is known (pid
 * and start time).  While both sides keep up, a message costs no system
 * call; a side that must wait sleeps on a System V semaphore and is woken
 * only when it sleeps.
 *
 * timeout_ms: -1 waits for ever, 0 tries once (XSIPC_WOULD_BLOCK), more
 * waits that long (XSIPC_TIMEOUT), on CLOCK_MONOTONIC.  A handle is used
 * by one thread at a time and belongs to the process that opened it (a
 * forked child opens a handle of its own).
 */
typedef struct xsipc_channel xsipc_channel;

/* What xsipc_channel_stat tells.  New fields are added at the end. */
typedef struct xsipc_channel_info {
    size_t capacity;    /* bytes of message storage */
    size_t max_message; /* the largest message, bytes */
    size_t messages;    /* messages queued now */
    size_t bytes;       /* their bytes (without the 8-byte headers) */
} xsipc_channel_info;

/* A handle for the channel name in the default registry ($TMPDIR), or in
 * reg (NULL: the default one; the handle keeps a reference).  NULL only
 * when out of memory; a bad name is kept as the handle's error. */
XSIPC_API xsipc_channel *xsipc_channel_new(const char *name) XSIPC_WARN_UNUSED;
XSIPC_API xsipc_channel *
xsipc_channel_new_in(xsipc_registry *reg, const char *name) XSIPC_WARN_UNUSED;
/* Makes the channel, with capacity bytes of storage for messages of up to
 * max_message bytes (each takes 8 bytes more, rounded up to 8), and opens
 * it.  XSIPC_ALREADY_EXISTS when the name has a segment already;
 * XSIPC_INVALID_SIZE when max_message is 0 or its record does not fit in
 * capacity. */
XSIPC_API int xsipc_channel_create(xsipc_channel *ch, size_t capacity,
                                   size_t max_message) XSIPC_WARN_UNUSED;
/* Opens an existing channel: XSIPC_NOT_FOUND when the name has none,
 * XSIPC_INVALID_ARGUMENT when its segment is not a channel. */
XSIPC_API int xsipc_channel_open(xsipc_channel *ch) XSIPC_WARN_UNUSED;
/* Queues len bytes (0 < len <= max_message, else XSIPC_INVALID_SIZE),
 * waiting for room as timeout_ms says. */
XSIPC_API int xsipc_channel_send(xsipc_channel *ch, const void *msg, size_t len,
                                 long timeout_ms) XSIPC_WARN_UNUSED;
/* Takes the next message into buf (cap bytes), its size in *len, waiting
 * for one as timeout_ms says.  A message larger than cap stays queued:
 * XSIPC_INVALID_SIZE, with its size in *len. */
XSIPC_API int xsipc_channel_recv(xsipc_channel *ch, void *buf, size_t cap,
                                 size_t *len,
                                 long timeout_ms) XSIPC_WARN_UNUSED;
/* Sizes and what is queued, a snapshot (others may send and receive
 * meanwhile). */
XSIPC_API int xsipc_channel_stat(xsipc_channel *ch,
                                 xsipc_channel_info *info) XSIPC_WARN_UNUSED;
/* persistent 1: the channel outlives its last user with what is queued
 * (as xsipc_shm_set_persistent; call before create).  0 or -error. */
XSIPC_API int xsipc_channel_set_persistent(xsipc_channel *ch,
                                           int persistent) XSIPC_WARN_UNUSED;
/* The name given to new/new_in; NULL for NULL. */
XSIPC_API const char *xsipc_channel_name(const xsipc_channel *ch);
/* The handle's last error, and its message ("" when none). */
XSIPC_API xsipc_error xsipc_channel_error(const xsipc_channel *ch);
XSIPC_API const char *xsipc_channel_error_string(const xsipc_channel *ch);
/* Closes the handle; the last user of a channel that is not persistent
 * removes it (xsipc_registry_remove with XSIPC_KIND_SHM removes one that
 * is).  NULL is allowed. */
XSIPC_API void xsipc_channel_free(xsipc_channel *ch);

/* --------------------------------------------------------------- version */

/* The library's version, "MAJOR.MINOR.MICRO". */
XSIPC_API const char *xsipc_version(void);

#ifdef __cplusplus
}
#endif

#endif /* XSIPC_H */
