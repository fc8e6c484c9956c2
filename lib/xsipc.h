/*
 * xsipc.h -- named System V shared memory and semaphores, wire-compatible
 * with Qt's QSharedMemory and QSystemSemaphore.
 *
 * This is the only public header.  Every handle is opaque.  Functions that
 * return int give 0 on success and -xsipc_error on failure; the handle then
 * keeps the error code and a message naming the operation and the cause.
 * The library never prints, never exits and never raises signals.
 */
#ifndef XSIPC_H
#define XSIPC_H

#include <stddef.h>
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

/* ------------------------------------------------------------- registry */

/* Key files and records stay after their objects are gone (stable keys). */
#define XSIPC_REGISTRY_PERSISTENT 0x1u
/* Objects are made with mode 0660 and key files 0660 (a shared group). */
#define XSIPC_REGISTRY_GROUP 0x2u

/*
 * Opens the registry in directory dir, or with dir NULL the Qt default
 * directory (realpath of $TMPDIR, else /tmp).  The directory must exist.
 * Returns NULL on failure, with status (when not NULL) telling why.
 * Handles made from a registry keep a reference: it may be closed first.
 */
XSIPC_API xsipc_registry *
xsipc_registry_open(const char *dir, unsigned flags,
                    xsipc_status *status) XSIPC_WARN_UNUSED;
/* Drops the caller's reference; NULL is allowed. */
XSIPC_API void xsipc_registry_close(xsipc_registry *reg);
/* The registry's absolute directory, without a trailing slash. */
XSIPC_API const char *xsipc_registry_dir(const xsipc_registry *reg)
    XSIPC_NONNULL(1);

/* ------------------------------------------------- shared memory segment */

/* A handle for the segment named key (NULL: set it later), in the default
 * registry.  Returns NULL only when out of memory; a bad key is kept in the
 * handle (xsipc_shm_error). */
XSIPC_API xsipc_shm *xsipc_shm_new(const char *key) XSIPC_WARN_UNUSED;
/* The same in registry reg (NULL: the default one). */
XSIPC_API xsipc_shm *xsipc_shm_new_in(xsipc_registry *reg,
                                      const char *key) XSIPC_WARN_UNUSED;
/* Sets the name; detaches first when attached. */
XSIPC_API int xsipc_shm_set_key(xsipc_shm *shm, const char *key);
/* Uses key_file_path itself as the key file (Qt's setNativeKey). */
XSIPC_API int xsipc_shm_set_native_key(xsipc_shm *shm,
                                       const char *key_file_path);
/* The name, or NULL when a native key or none is set. */
XSIPC_API const char *xsipc_shm_key(const xsipc_shm *shm);
/* The key file's path, or NULL when no key is set. */
XSIPC_API const char *xsipc_shm_native_key(const xsipc_shm *shm);
/* Creates a segment of size bytes and attaches it, under the lock.
 * XSIPC_ALREADY_EXISTS when a segment has this key. */
XSIPC_API int xsipc_shm_create(xsipc_shm *shm, size_t size,
                               xsipc_access access);
/* Attaches the existing segment; XSIPC_NOT_FOUND when there is none.
 * XSIPC_READ_ONLY maps it read-only. */
XSIPC_API int xsipc_shm_attach(xsipc_shm *shm, xsipc_access access);
/* Detaches; the last user to detach removes the segment and, in the Qt
 * directory, its key file. */
XSIPC_API int xsipc_shm_detach(xsipc_shm *shm);
XSIPC_API int xsipc_shm_is_attached(const xsipc_shm *shm);
/* The mapping, or NULL when not attached.  After a read-only attach the
 * pages are mapped read-only: a store through xsipc_shm_data's pointer
 * raises SIGSEGV, as with Qt. */
XSIPC_API void *xsipc_shm_data(xsipc_shm *shm);
XSIPC_API const void *xsipc_shm_const_data(const xsipc_shm *shm);
/* The segment's size as the kernel reports it; 0 when not attached. */
XSIPC_API size_t xsipc_shm_size(const xsipc_shm *shm);
/* Takes the segment's lock (the semaphore QSharedMemory::lock() uses).
 * 0, or XSIPC_OWNER_DIED (lock held; previous holder died holding it). */
XSIPC_API int xsipc_shm_lock(xsipc_shm *shm);
/* As lock, but XSIPC_WOULD_BLOCK at once when the lock is held. */
XSIPC_API int xsipc_shm_try_lock(xsipc_shm *shm);
/* As lock, but XSIPC_TIMEOUT after timeout_ms milliseconds. */
XSIPC_API int xsipc_shm_lock_timeout(xsipc_shm *shm, long timeout_ms);
XSIPC_API int xsipc_shm_unlock(xsipc_shm *shm);
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
XSIPC_API xsipc_sem *xsipc_sem_new_in(xsipc_registry *reg, const char *key,
                                      int initial_value,
                                      xsipc_sem_mode mode) XSIPC_WARN_UNUSED;
/* Waits until the value is positive, then decrements it. */
XSIPC_API int xsipc_sem_acquire(xsipc_sem *sem);
/* XSIPC_WOULD_BLOCK at once when the value is 0. */
XSIPC_API int xsipc_sem_try_acquire(xsipc_sem *sem);
/* XSIPC_TIMEOUT after timeout_ms milliseconds. */
XSIPC_API int xsipc_sem_acquire_timeout(xsipc_sem *sem, long timeout_ms);
/* Adds n (n > 0) to the value. */
XSIPC_API int xsipc_sem_release(xsipc_sem *sem, int n);
/*
 * undo 1 (the default, as Qt): each acquire and release is undone when the
 * process exits (SEM_UNDO), so a semaphore used as a lock comes back when
 * its holder dies -- and a count released by a process that then exits is
 * taken back.  undo 0: neither is undone, as producer/consumer signalling
 * needs (a producer's releases must survive it); a consumer that dies
 * after acquiring then does not give the unit back.  Applies to this
 * handle's later calls.  0, or -XSIPC_INVALID_ARGUMENT.
 */
XSIPC_API int xsipc_sem_set_undo(xsipc_sem *sem, int undo);
XSIPC_API xsipc_error xsipc_sem_error(const xsipc_sem *sem);
XSIPC_API const char *xsipc_sem_error_string(const xsipc_sem *sem);
XSIPC_API void xsipc_sem_free(xsipc_sem *sem);

/* --------------------------------------------------------------- version */

/* The library's version, "MAJOR.MINOR.MICRO". */
XSIPC_API const char *xsipc_version(void);

#ifdef __cplusplus
}
#endif

#endif /* XSIPC_H */
